"""The extractive digest: all four stages at once, from the paper's own sentences with exact pages.

Every `Point.text` is a sentence quoted from `Paper.page_texts` (whitespace-normalised) and
`Point.pages` is the page it is on. Sentences are chosen by cue phrases ("we propose", "however",
numbers in results...; chatpaper.extractive.cues) and by position (the introduction's opening, the
first sentences of method subsections and of the conclusion). The chain records `extractive=True`
and the renderer labels it "extractive, no LLM".
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from chatpaper.extractive.cues import (
    ANNOUNCES,
    CITED,
    OPEN_QUESTION,
    OWN_WORK,
    REFERS_BACK,
    THIRD_PERSON,
    WE,
    Scores,
    about_others,
    foreign,
    is_limitation,
    method_names,
    score,
)
from chatpaper.extractive.keywords import keywords
from chatpaper.extractive.language import paper_language
from chatpaper.extractive.picker import Picker, quote_point
from chatpaper.extractive.sentences import PaperText, Sentence, is_roadmap, normalise, read_sentences
from chatpaper.models import ConclusionStage, MetadataStage, MethodsStage, Paper, Point, SummaryStage

StageResult = MetadataStage | SummaryStage | MethodsStage | ConclusionStage


@dataclass(frozen=True)
class ExtractiveDigest:
    metadata: MetadataStage
    summary: SummaryStage
    methods: MethodsStage
    conclusion: ConclusionStage

    def stage(self, name: str) -> StageResult:
        if name not in ("metadata", "summary", "methods", "conclusion"):
            raise ValueError(f"unknown stage {name!r}")
        return getattr(self, name)


def extract_digest(paper: Paper) -> ExtractiveDigest:
    """All four stages at once, so that no sentence is quoted twice across fields where avoidable."""
    text = read_sentences(paper)
    picker = Picker(text, method_names(paper.title), language=paper_language(paper))
    summary, methods = _summary(picker, paper)
    conclusion = _conclusion(picker)
    summary = summary.model_copy(update={"key_takeaways": _takeaways(picker, summary, methods)})
    return ExtractiveDigest(
        metadata=MetadataStage(title_translation=_title(paper), keywords=keywords(paper, text)),
        summary=summary,
        methods=methods,
        conclusion=conclusion,
    )


def _title(paper: Paper) -> str:
    """Offline mode translates nothing: the title stays as printed (the page's first line if unknown)."""
    if paper.title.strip():
        return paper.title
    lines = (normalise(line) for page in paper.page_texts for line in page.split("\n"))
    return next((line for line in lines if line), "Untitled")


def _summary(p: Picker, paper: Paper) -> tuple[SummaryStage, MethodsStage]:
    """The summary's points; the method steps are chosen before `proposed_method` so they keep their leads."""
    one_line = p.pick(
        # The abstract is the authors' own summary: its "we propose" sentence comes first.
        lambda: p.best({"front": 1.0}, lambda s, c: c.propose, minimum=1.5),
        lambda: p.best({"introduction": 1.0, "conclusion": 0.7}, lambda s, c: c.propose, minimum=2.0),
        lambda: p.best({"front": 1.0, "introduction": 0.8, "*": 0.3}, lambda s, c: c.propose + c.result * 0.3),
        lambda: p.first(p.by_role("front")),
    )
    performance = p.pick(
        lambda: p.best(
            {"front": 1.3, "conclusion": 1.1, "experiments": 1.0, "discussion": 0.9, "introduction": 0.8, "*": 0.4},
            lambda s, c: _own_result(c) if c.numbers >= 1 else _own_result(c) * 0.4,
            minimum=2.0,
        ),
        lambda: p.best({"front": 1.2, "conclusion": 1.0, "experiments": 1.0, "discussion": 0.9, "*": 0.3},
                       lambda s, c: _own_result(c), minimum=2.0),
        lambda: p.first(s for s in p.by_role("experiments") if not foreign(s.text)),
    )
    background = p.pick(
        lambda: _opening(p, ("introduction",)),
        lambda: _opening(p, ("front",)),
        lambda: _opening(p, ("related_work", "other")),
    )
    past = p.pick(
        lambda: p.best(
            {"front": 1.2, "introduction": 1.0, "related_work": 0.9, "*": 0.4},
            lambda s, c: c.past * (0.4 if c.propose >= 3 else 1.0),
            minimum=1.5,
        ),
        lambda: p.best({"front": 1.2, "introduction": 1.0, "related_work": 0.9}, lambda s, c: c.past, minimum=0.4),
        lambda: p.first(p.by_role("related_work")),
        lambda: p.first(p.by_role("introduction")[1:]),
    )
    methods = _methods(p, paper)
    proposed = p.pick(
        lambda: p.best(
            {"front": 1.2, "introduction": 1.0, "method": 0.9, "conclusion": 0.6},
            lambda s, c: c.propose + 0.5 * c.method,
            minimum=1.5,
            others=0.0,  # "we use the system developed by X [6]" is not what the paper proposes
        ),
        lambda: p.first(p.by_role("method")),
        lambda: p.best({"*": 1.0}, lambda s, c: c.propose, others=0.0),
    )
    # key_takeaways are chosen last (they avoid everything else); one_line is a placeholder here.
    return SummaryStage(
        one_line=quote_point(one_line),
        key_takeaways=[quote_point(one_line)],
        background=quote_point(background),
        past_methods=quote_point(past),
        proposed_method=quote_point(proposed),
        performance=quote_point(performance),
    ), methods


def _opening(p: Picker, roles: tuple[str, ...]) -> Sentence | None:
    """Context that opens a part of the paper: early, general, not yet about "our" method."""
    candidates = [s for s in p.by_role(*roles) if not p.is_duplicate(s) and s.quality >= 0.5][:10]
    best, best_value = None, 0.0
    for rank, s in enumerate(candidates):
        c = p.scores[s.index]
        value = (2.5 - rank * 0.25) + c.background - 1.5 * bool(WE.search(s.text)) - 0.5 * c.propose
        value += 1.0 if CITED.search(s.text) else 0.0  # prose that cites others, not text inside a figure
        value *= 0.5 + 0.5 * s.quality
        if value > best_value:
            best, best_value = s, value
    return best


MAX_STEPS = 10


_SURVEY_TITLE = re.compile(r"\b(?:survey|review|overview|tutorial)\b", re.I)
_SURVEY_CLAIM = re.compile(r"\bwe (?:review|survey|summari[sz]e|give an overview|provide an overview)\b|"
                           r"\bth(?:is|e present) (?:survey|review|overview|tutorial)\b", re.I)


def is_survey(paper: Paper, text: PaperText) -> bool:
    """A survey or review: its title says so, or its abstract does ("we review ...", "this survey")."""
    if _SURVEY_TITLE.search(paper.title):
        return True
    return any(_SURVEY_CLAIM.search(s.text) for s in text.sentences if s.role == "front" and s.quality > 0)


def _own_steps(p: Picker) -> list[Point]:
    """A survey's steps: what THIS paper does (reviews, presents a challenge, evaluates), in reading order."""
    scored = []
    for s in p.good:
        c = p.scores[s.index]
        if not c.ours or foreign(s.text) or _says_nothing(s) or s.quality < 0.3:
            continue
        value = score(c.lower, OWN_WORK)
        if value >= 3.0:
            scored.append((value * (0.5 + 0.5 * s.quality), s))
    best = sorted(scored, key=lambda item: -item[0])
    chosen: list[Sentence] = []
    for _, s in best:
        if len(chosen) >= 6:
            break
        if not p.is_duplicate(s):
            chosen.append(p.take(s))  # type: ignore[arg-type]
    chosen.sort(key=lambda s: s.index)
    return [quote_point(s) for s in chosen]


def _methods(p: Picker, paper: Paper) -> MethodsStage:
    if is_survey(paper, p.text):
        own = _own_steps(p)
        if own:
            return MethodsStage(steps=own)
    no_method = paper.section("method") is None
    groups = _method_groups(p, paper)
    if no_method:  # the body may describe the works the paper builds on: never as its method
        groups = [[s for s in group if not foreign(s.text)] for group in groups]
    steps: list[Point] = []
    for group in groups:
        s = _lead(p, group)
        if s is None:
            continue
        p.take(s)
        follow = _follower(p, s)
        if follow is not None and len(s.text) < 90:
            p.take(follow)
            steps.append(_point_span(p.text, s, follow))
        else:
            steps.append(quote_point(s))
    if not steps:  # no method section: what the paper itself says it proposes, in reading order
        proposing = [s for s in p.good if s.role in ("front", "introduction") and p.scores[s.index].propose >= 1.5]
        fresh = [s for s in proposing if not p.is_duplicate(s)]
        chosen = fresh[:6] or [p.pick()]
        for s in chosen:
            p.take(s)
        steps = [quote_point(s) for s in chosen]
    return MethodsStage(steps=steps)


def _method_groups(p: Picker, paper: Paper) -> list[list[Sentence]]:
    """Sentences grouped by method subsection; paragraphs when the method has no subsections."""
    top = paper.section("method")
    if top is None and any(s.role == "method" for s in p.good):
        method = p.by_role("method")
        return _paragraphs(method)
    if top is None:
        return _body_sections(p, paper)
    tree = paper.section_tree(top)
    start = paper.sections.index(top)
    indices = list(range(start, start + len(tree)))
    if len(tree) < 3:  # a short method section: the unlabelled sections right after it continue it
        for i in range(start + len(tree), len(paper.sections)):
            if p.text.section_roles[i] != "other":
                break
            indices.append(i)
    if len(indices) - 1 > MAX_STEPS:  # many sub-subsections: one step per direct subsection
        child_level = min(paper.sections[i].level for i in indices[1:])
        parent: dict[int, int] = {}
        current = start
        for i in indices:
            if i == start or paper.sections[i].level <= child_level:
                current = i
            parent[i] = current
    else:
        parent = {i: i for i in indices}
    groups: dict[int, list[Sentence]] = {}
    for s in p.good:
        if s.section is not None and s.section in parent:
            groups.setdefault(parent[s.section], []).append(s)
    ordered = [groups[i] for i in sorted(groups)]
    if len(ordered) <= 1:
        return _paragraphs(ordered[0] if ordered else p.by_role("method"))
    return _limit(ordered)


def _body_sections(p: Picker, paper: Paper) -> list[list[Sentence]]:
    """No method section: the unlabelled top-level sections between introduction and conclusion."""
    groups: dict[int, list[Sentence]] = {}
    for s in p.good:
        if s.role == "other" and s.section is not None and paper.sections[s.section].level == 1:
            groups.setdefault(s.section, []).append(s)
    return _limit([groups[i] for i in sorted(groups)])


def _paragraphs(sentences: list[Sentence]) -> list[list[Sentence]]:
    groups: list[list[Sentence]] = []
    for s in sentences:
        if s.para_start or not groups:
            groups.append([s])
        else:
            groups[-1].append(s)
    if len(groups) > MAX_STEPS:
        step = len(groups) / MAX_STEPS
        groups = [groups[int(i * step)] for i in range(MAX_STEPS)]
    return groups


def _limit(groups: list[list[Sentence]]) -> list[list[Sentence]]:
    if len(groups) <= MAX_STEPS:
        return groups
    ranked = sorted(range(len(groups)), key=lambda i: -len(groups[i]))[:MAX_STEPS]
    return [groups[i] for i in sorted(ranked)]


def _says_nothing(s: Sentence) -> bool:
    """A map of the paper or a question: never a method step on its own."""
    return is_roadmap(s.text) or s.text.rstrip("\"'”’)").endswith("?")


def _lead(p: Picker, group: list[Sentence]) -> Sentence | None:
    """The first good sentence of a group, preferring a clean one among the first four that say something."""
    content = [s for s in group if not _says_nothing(s)]
    candidates = [s for s in content[:4] if not p.is_duplicate(s)]
    if not candidates:
        return None
    weights = (1.0, 0.7, 0.55, 0.45)

    def value(s: Sentence) -> float:
        backward = 0.6 if REFERS_BACK.match(s.text) else 1.0
        backward *= 0.3 if about_others(s.text) else 1.0  # a step of the paper's method, not a cited one
        return weights[content.index(s)] * (0.4 + 0.6 * s.quality) * backward + 0.03 * p.scores[s.index].method

    return max(candidates, key=value)


def _follower(p: Picker, s: Sentence) -> Sentence | None:
    """The next sentence when it directly continues `s` on the same page."""
    nxt = s.index + 1
    if nxt >= len(p.text.sentences):
        return None
    f = p.text.sentences[nxt]
    if f.page == s.page and f.start == s.end + 1 and f.quality > 0.5 and not f.para_start and not p.is_duplicate(f):
        return f
    return None


def _point_span(text: PaperText, first: Sentence, last: Sentence) -> Point:
    return Point(text=text.page_norm[first.page - 1][first.start : last.end], pages=[first.page])


def _conclusion(p: Picker) -> ConclusionStage:
    def says_what_was_done(c: Scores) -> float:
        return c.significance + 0.5 * c.propose + c.ours

    # The conclusion's own opening first: a "discussion" may be a mid-paper analysis section.
    significance = p.pick(
        lambda: _first_of(p, ("conclusion",), says_what_was_done),
        lambda: _first_of(p, ("discussion",), says_what_was_done),
        # No conclusion section: what the paper says of its own work, not the field's background,
        # even if another field already quotes it.
        lambda: p.best({"front": 1.0, "introduction": 0.6}, _of_own_work, minimum=2.0),
        # Its best fresh sentence about its own work, anywhere, rather than one another field quotes.
        lambda: p.best({"*": 1.0}, lambda s, c: _of_own_work(s, c) if c.ours else 0.0, minimum=0.5, others=0.0),
        lambda: p.best({"*": 1.0}, lambda s, c: 1.0 if c.ours else 0.0, others=0.0),
    )
    innovation = p.pick(
        # The paper's own novelty claim; never someone else's idea ("an HMM initially proposed by Poliner et al.").
        lambda: p.best({"conclusion": 1.2, "front": 1.1, "introduction": 1.0, "discussion": 0.9, "method": 0.5},
                       lambda s, c: _novelty(s, c) if c.innovation >= 1.5 and c.ours else 0.0, minimum=2.0,
                       others=0.0),
        lambda: p.best({"front": 1.0, "introduction": 1.0, "conclusion": 1.0, "method": 0.8},
                       lambda s, c: _novelty(s, c) + 0.5 * c.propose if c.ours and c.innovation >= 1.0 else 0.0,
                       minimum=2.0, others=0.0),
        lambda: p.best({"front": 1.0, "introduction": 1.0, "conclusion": 1.0, "method": 0.8},
                       lambda s, c: _novelty(s, c) + 0.5 * c.propose if c.ours and c.innovation > 0 else 0.0,
                       minimum=0.5, others=0.0),
        lambda: p.best({"*": 1.0}, _novelty, others=0.0),
        lambda: p.first(p.by_role("method")),
    )
    performance = p.pick(
        lambda: p.best({"conclusion": 1.3, "discussion": 1.1, "front": 1.0, "experiments": 0.9, "*": 0.3},
                       lambda s, c: _own_result(c) if c.numbers >= 1 else _own_result(c) * 0.5, minimum=2.0),
        lambda: p.best({"*": 1.0}, lambda s, c: _own_result(c)),
    )
    workload = p.pick(
        # The experimental effort the authors report, in their own summary parts first.
        lambda: p.best({"front": 1.2, "conclusion": 1.1, "introduction": 1.0, "experiments": 0.9, "discussion": 0.9,
                        "*": 0.3}, lambda s, c: _effort(c), minimum=2.0, others=0.0),
        lambda: p.first(s for s in p.by_role("experiments") if not foreign(s.text) and not is_limitation(s.text)),
        lambda: p.best({"*": 1.0}, lambda s, c: _effort(c)),
    )
    return ConclusionStage(
        significance=quote_point(significance),
        innovation=quote_point(innovation),
        performance=quote_point(performance),
        workload=quote_point(workload),
    )


def _effort(c: Scores) -> float:
    """The experimental effort the authors report: their own, and not a limitation."""
    return 0.0 if is_limitation(c.text) else c.workload * _own_factor(c)


def _own_factor(c: Scores) -> float:
    """1 for the authors' own words; less for a sentence that reports cited work."""
    if c.ours:
        return 1.0
    return 0.25 if CITED.search(c.text) else 0.6


def _novelty(s: Sentence, c: Scores) -> float:
    value = (c.innovation + 0.5 * c.propose) * _own_factor(c)
    if CITED.search(s.text):
        value *= 0.6  # a claim leaning on a citation is usually about the cited work
    if ANNOUNCES.search(s.text) or OPEN_QUESTION.search(c.lower):
        value *= 0.3
    return value


def _of_own_work(s: Sentence, c: Scores) -> float:
    return (c.significance + 0.5 * c.propose) * (1.0 if c.ours else 0.3)


def _first_of(p: Picker, roles: tuple[str, ...], value: Callable[[Scores], float]) -> Sentence | None:
    """Among the first sentences of the closing section, the one that best says what was done."""
    candidates = [s for s in p.by_role(*roles) if not p.is_duplicate(s)][:5]
    if not candidates:
        return None
    return max(candidates, key=lambda s: (3.0 - 0.6 * candidates.index(s) + value(p.scores[s.index])) * s.quality)


TAKEAWAYS = (5, 8)


def _takeaways(p: Picker, summary: SummaryStage, methods: MethodsStage) -> list[Point]:
    """5-8 distinct sentences from different parts: contribution, method, results, problem, conclusion."""
    chosen: list[Sentence] = []

    def add(s: Sentence | None) -> None:
        if s is not None and len(chosen) < TAKEAWAYS[1]:
            chosen.append(p.take(s))  # type: ignore[arg-type]

    def best(weights: dict[str, float], key: Callable[[Sentence, Scores], float], *, minimum: float) -> Sentence | None:
        # About this paper, not the ones it cites; and never a roadmap ("in the next sections ...").
        return p.best(weights, key, others=0.0, min_quality=0.3, standalone=True, minimum=minimum)

    add(best({"front": 1.2, "introduction": 1.0, "conclusion": 0.8}, lambda s, c: c.propose, minimum=1.5))
    add(best({"method": 1.0}, lambda s, c: c.propose + c.method, minimum=1.0))
    for _ in range(2):
        add(best({"front": 1.2, "experiments": 1.0, "conclusion": 1.0, "discussion": 0.9},
                 lambda s, c: _own_result(c) if c.numbers >= 1 else _own_result(c) * 0.5, minimum=3.0))
    add(best({"front": 1.2, "introduction": 1.0}, lambda s, c: c.past, minimum=2.0))
    add(best({"conclusion": 1.0, "discussion": 0.8}, lambda s, c: c.significance + c.innovation, minimum=1.0))
    for s in p.by_role("front"):  # the abstract's remaining sentences, most salient first
        if len(chosen) >= 7:
            break
        if not p.is_duplicate(s) and not foreign(s.text) and (
                _salience(p.scores[s.index]) >= 0.5 or len(s.text.split()) >= 15):
            add(s)
    while len(chosen) < 6:
        extra = best({"front": 1.2, "introduction": 1.0, "conclusion": 1.0, "*": 0.6}, lambda s, c: _salience(c) + 0.1,
                 minimum=0.0 if len(chosen) < TAKEAWAYS[0] else 1.5)
        if extra is None:
            break
        add(extra)
    chosen.sort(key=lambda s: s.index)
    points = [quote_point(s) for s in chosen]
    if len(points) < TAKEAWAYS[0]:  # a short paper: fewer takeaways, never a sentence another field quotes
        spare = [s for s in p.quotable if not p.is_duplicate(s)]
        for s in spare[: TAKEAWAYS[0] - len(points)]:
            points.append(quote_point(p.take(s)))  # type: ignore[arg-type]
    return points or [quote_point(p.pick())]


def _own_result(c: Scores) -> float:
    """A result cue of this paper's own work; none for a cited work's ("AdVerb [16] ... outperforming ...")."""
    if about_others(c.text) or THIRD_PERSON.match(c.text):
        return 0.0
    if c.ours:
        return c.result
    if CITED.search(c.text) or c.past >= 1.5:  # "Previous work on pruning reduces the cost ...": not ours
        return 0.0
    return c.result * 0.75


def _salience(c: Scores) -> float:
    return max(c.propose, c.result, c.past * 0.8, c.significance * 0.8, c.innovation * 0.6)

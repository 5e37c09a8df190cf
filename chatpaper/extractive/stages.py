"""The extractive digest: all four stages at once, from the paper's own sentences with exact pages.

Every `Point.text` is a sentence quoted from `Paper.page_texts` (whitespace-normalised) and
`Point.pages` is the page it is on. Sentences are chosen by cue phrases ("we propose", "however",
numbers in results...; chatpaper.extractive.cues) and by position (the introduction's opening, the
first sentences of method subsections and of the conclusion). The chain records `extractive=True`
and the renderer labels it "extractive, no LLM".
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from chatpaper.extractive import recipes
from chatpaper.extractive.cues import (
    OWN_WORK,
    REFERS_BACK,
    about_others,
    foreign,
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
    one_line = recipes.ONE_LINE.pick(p)
    performance = recipes.SUMMARY_PERFORMANCE.pick(p)
    background = recipes.BACKGROUND.pick(p)
    past = recipes.PAST_METHODS.pick(p)
    methods = _methods(p, paper)
    proposed = recipes.PROPOSED_METHOD.pick(p)
    # key_takeaways are chosen last (they avoid everything else); one_line is a placeholder here.
    return SummaryStage(
        one_line=quote_point(one_line),
        key_takeaways=[quote_point(one_line)],
        background=quote_point(background),
        past_methods=quote_point(past),
        proposed_method=quote_point(proposed),
        performance=quote_point(performance),
    ), methods


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
    return ConclusionStage(
        significance=quote_point(recipes.SIGNIFICANCE.pick(p)),
        innovation=quote_point(recipes.INNOVATION.pick(p)),
        performance=quote_point(recipes.CONCLUSION_PERFORMANCE.pick(p)),
        workload=quote_point(recipes.WORKLOAD.pick(p)),
    )


# Key takeaways: at least this many where the paper has the sentences, at most that many.
TAKEAWAYS = (5, 8)


def _takeaways(p: Picker, summary: SummaryStage, methods: MethodsStage) -> list[Point]:
    """5-8 distinct sentences from different parts: contribution, method, results, problem, conclusion."""
    chosen: list[Sentence] = []

    def add(s: Sentence | None) -> None:
        if s is not None and len(chosen) < TAKEAWAYS[1]:
            chosen.append(p.take(s))  # type: ignore[arg-type]

    for choice in recipes.TAKEAWAY_CHOICES:
        add(choice.find(p))
    for s in p.by_role("front"):  # the abstract's remaining sentences, most salient first
        if len(chosen) >= 7:
            break
        if not p.is_duplicate(s) and not foreign(s.text) and (
                recipes.salience(p.scores[s.index]) >= 0.5 or len(s.text.split()) >= 15):
            add(s)
    while len(chosen) < 6:
        extra = (recipes.TAKEAWAY_FILL if len(chosen) < TAKEAWAYS[0] else recipes.TAKEAWAY_SALIENT).find(p)
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

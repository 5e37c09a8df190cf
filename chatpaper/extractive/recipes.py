"""Field recipes: for each field of the digest, the ordered choices that may fill it, as data.

A `Recipe` is tried choice by choice; the first choice that finds an unused sentence fills the field
(chatpaper.extractive.picker.Picker.pick, which falls back to any unused quotable sentence). A choice
is one of four kinds:

- `Best`: the highest-valued sentence among weighted section roles ("*" = any other role), if its
  value reaches `minimum`; `others` weighs sentences about someone else's work (0 excludes them);
- `First`: the first unused sentence of some roles (optionally after `skip`, or only those `keep` accepts);
- `Opening`: context that opens a part of the paper (early, general, not yet about "our" method);
- `ClosingOpening`: among the first sentences of a closing section, the one that best says what was done.

The value functions say what a field looks for, in terms of a sentence's cue scores
(chatpaper.extractive.cues.Scores). Changing a recipe changes digests: bump ExtractiveRunner.version.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial

from chatpaper.extractive.cues import (
    ANNOUNCES,
    CITED,
    OPEN_QUESTION,
    THIRD_PERSON,
    WE,
    Scores,
    about_others,
    foreign,
    is_limitation,
)
from chatpaper.extractive.picker import Picker
from chatpaper.extractive.sentences import Sentence

Value = Callable[[Sentence, Scores], float]


# --------------------------------------------------------------------------- what fields value


def propose(s: Sentence, c: Scores) -> float:
    return c.propose


def own_result(c: Scores) -> float:
    """A result cue of this paper's own work; none for a cited work's ("AdVerb [16] ... outperforming ...")."""
    if about_others(c.text) or THIRD_PERSON.match(c.text):
        return 0.0
    if c.ours:
        return c.result
    if CITED.search(c.text) or c.past >= 1.5:  # "Previous work on pruning reduces the cost ...": not ours
        return 0.0
    return c.result * 0.75


def measured_result(damping: float) -> Value:
    """An own result, weighed down by `damping` when it reports no measured figure."""
    return lambda s, c: own_result(c) if c.numbers >= 1 else own_result(c) * damping


def salience(c: Scores) -> float:
    return max(c.propose, c.result, c.past * 0.8, c.significance * 0.8, c.innovation * 0.6)


def own_factor(c: Scores) -> float:
    """1 for the authors' own words; less for a sentence that reports cited work."""
    if c.ours:
        return 1.0
    return 0.25 if CITED.search(c.text) else 0.6


def effort(c: Scores) -> float:
    """The experimental effort the authors report: their own, and not a limitation."""
    return 0.0 if is_limitation(c.text) else c.workload * own_factor(c)


def novelty(s: Sentence, c: Scores) -> float:
    value = (c.innovation + 0.5 * c.propose) * own_factor(c)
    if CITED.search(s.text):
        value *= 0.6  # a claim leaning on a citation is usually about the cited work
    if ANNOUNCES.search(s.text) or OPEN_QUESTION.search(c.lower):
        value *= 0.3
    return value


def of_own_work(s: Sentence, c: Scores) -> float:
    return (c.significance + 0.5 * c.propose) * (1.0 if c.ours else 0.3)


def says_what_was_done(c: Scores) -> float:
    return c.significance + 0.5 * c.propose + c.ours


# --------------------------------------------------------------------------- the kinds of choice


@dataclass(frozen=True)
class Best:
    weights: Mapping[str, float]
    value: Value
    minimum: float = 1e-9
    others: float = 1.0
    min_quality: float = 0.0
    standalone: bool = False  # skip sentences that lean on the one before ("Then we report ...")

    def find(self, p: Picker) -> Sentence | None:
        return p.best(self.weights, self.value, minimum=self.minimum, others=self.others,
                      min_quality=self.min_quality, standalone=self.standalone)


@dataclass(frozen=True)
class First:
    roles: tuple[str, ...]
    skip: int = 0  # sentences of these roles passed over first (the introduction's opening is the background)
    keep: Callable[[Sentence], bool] | None = None

    def find(self, p: Picker) -> Sentence | None:
        candidates: Iterable[Sentence] = p.by_role(*self.roles)[self.skip:]
        if self.keep is not None:
            candidates = (s for s in candidates if self.keep(s))
        return p.first(candidates)


@dataclass(frozen=True)
class Opening:
    roles: tuple[str, ...]

    def find(self, p: Picker) -> Sentence | None:
        candidates = [s for s in p.by_role(*self.roles) if not p.is_duplicate(s) and s.quality >= 0.5][:10]
        best, best_value = None, 0.0
        for rank, s in enumerate(candidates):
            c = p.scores[s.index]
            value = (2.5 - rank * 0.25) + c.background - 1.5 * bool(WE.search(s.text)) - 0.5 * c.propose
            value += 1.0 if CITED.search(s.text) else 0.0  # prose that cites others, not text inside a figure
            value *= 0.5 + 0.5 * s.quality
            if value > best_value:
                best, best_value = s, value
        return best


@dataclass(frozen=True)
class ClosingOpening:
    roles: tuple[str, ...]
    value: Callable[[Scores], float]

    def find(self, p: Picker) -> Sentence | None:
        candidates = [s for s in p.by_role(*self.roles) if not p.is_duplicate(s)][:5]
        if not candidates:
            return None
        return max(candidates,
                   key=lambda s: (3.0 - 0.6 * candidates.index(s) + self.value(p.scores[s.index])) * s.quality)


Choice = Best | First | Opening | ClosingOpening


@dataclass(frozen=True)
class Recipe:
    """The choices for one field, tried in order."""

    name: str
    choices: tuple[Choice, ...]

    def pick(self, p: Picker) -> Sentence:
        return p.pick(*(partial(choice.find, p) for choice in self.choices))


def _not_foreign(s: Sentence) -> bool:
    return not foreign(s.text)


def _own_work_done(s: Sentence) -> bool:
    return not foreign(s.text) and not is_limitation(s.text)


# --------------------------------------------------------------------------- the summary stage

ONE_LINE = Recipe("one_line", (
    Best({"front": 1.0}, propose, minimum=1.5),  # the abstract is the authors' own summary: its "we propose" first
    Best({"introduction": 1.0, "conclusion": 0.7}, propose, minimum=2.0),
    Best({"front": 1.0, "introduction": 0.8, "*": 0.3}, lambda s, c: c.propose + c.result * 0.3),
    First(("front",)),
))
SUMMARY_PERFORMANCE = Recipe("performance", (
    Best({"front": 1.3, "conclusion": 1.1, "experiments": 1.0, "discussion": 0.9, "introduction": 0.8, "*": 0.4},
         measured_result(0.4), minimum=2.0),
    Best({"front": 1.2, "conclusion": 1.0, "experiments": 1.0, "discussion": 0.9, "*": 0.3},
         lambda s, c: own_result(c), minimum=2.0),
    First(("experiments",), keep=_not_foreign),
))
BACKGROUND = Recipe("background", (
    Opening(("introduction",)),
    Opening(("front",)),
    Opening(("related_work", "other")),
))
PAST_METHODS = Recipe("past_methods", (
    Best({"front": 1.2, "introduction": 1.0, "related_work": 0.9, "*": 0.4},
         lambda s, c: c.past * (0.4 if c.propose >= 3 else 1.0), minimum=1.5),
    Best({"front": 1.2, "introduction": 1.0, "related_work": 0.9}, lambda s, c: c.past, minimum=0.4),
    First(("related_work",)),
    First(("introduction",), skip=1),
))
PROPOSED_METHOD = Recipe("proposed_method", (
    # others=0: "we use the system developed by X [6]" is not what the paper proposes
    Best({"front": 1.2, "introduction": 1.0, "method": 0.9, "conclusion": 0.6},
         lambda s, c: c.propose + 0.5 * c.method, minimum=1.5, others=0.0),
    First(("method",)),
    Best({"*": 1.0}, propose, others=0.0),
))

# --------------------------------------------------------------------------- the conclusion stage

SIGNIFICANCE = Recipe("significance", (
    # The conclusion's own opening first: a "discussion" may be a mid-paper analysis section.
    ClosingOpening(("conclusion",), says_what_was_done),
    ClosingOpening(("discussion",), says_what_was_done),
    # No conclusion section: what the paper says of its own work, not the field's background,
    # even if another field already quotes it.
    Best({"front": 1.0, "introduction": 0.6}, of_own_work, minimum=2.0),
    # Its best fresh sentence about its own work, anywhere, rather than one another field quotes.
    Best({"*": 1.0}, lambda s, c: of_own_work(s, c) if c.ours else 0.0, minimum=0.5, others=0.0),
    Best({"*": 1.0}, lambda s, c: 1.0 if c.ours else 0.0, others=0.0),
))
INNOVATION = Recipe("innovation", (
    # The paper's own novelty claim; never someone else's idea ("an HMM initially proposed by Poliner et al.").
    Best({"conclusion": 1.2, "front": 1.1, "introduction": 1.0, "discussion": 0.9, "method": 0.5},
         lambda s, c: novelty(s, c) if c.innovation >= 1.5 and c.ours else 0.0, minimum=2.0, others=0.0),
    Best({"front": 1.0, "introduction": 1.0, "conclusion": 1.0, "method": 0.8},
         lambda s, c: novelty(s, c) + 0.5 * c.propose if c.ours and c.innovation >= 1.0 else 0.0,
         minimum=2.0, others=0.0),
    Best({"front": 1.0, "introduction": 1.0, "conclusion": 1.0, "method": 0.8},
         lambda s, c: novelty(s, c) + 0.5 * c.propose if c.ours and c.innovation > 0 else 0.0,
         minimum=0.5, others=0.0),
    Best({"*": 1.0}, novelty, others=0.0),
    First(("method",)),
))
CONCLUSION_PERFORMANCE = Recipe("performance", (
    Best({"conclusion": 1.3, "discussion": 1.1, "front": 1.0, "experiments": 0.9, "*": 0.3},
         measured_result(0.5), minimum=2.0),
    Best({"*": 1.0}, lambda s, c: own_result(c)),
))
WORKLOAD = Recipe("workload", (
    # The experimental effort the authors report, in their own summary parts first.
    Best({"front": 1.2, "conclusion": 1.1, "introduction": 1.0, "experiments": 0.9, "discussion": 0.9, "*": 0.3},
         lambda s, c: effort(c), minimum=2.0, others=0.0),
    First(("experiments",), keep=_own_work_done),
    Best({"*": 1.0}, lambda s, c: effort(c)),
))

# --------------------------------------------------------------------------- key takeaways


def _takeaway(weights: Mapping[str, float], value: Value, *, minimum: float) -> Best:
    # About this paper, not the ones it cites; and never a roadmap ("in the next sections ...").
    return Best(weights, value, minimum=minimum, others=0.0, min_quality=0.3, standalone=True)


# One each, in this order, before the abstract's remaining sentences (the results cue is tried twice).
TAKEAWAY_CHOICES = (
    _takeaway({"front": 1.2, "introduction": 1.0, "conclusion": 0.8}, propose, minimum=1.5),  # contribution
    _takeaway({"method": 1.0}, lambda s, c: c.propose + c.method, minimum=1.0),  # method
    *[_takeaway({"front": 1.2, "experiments": 1.0, "conclusion": 1.0, "discussion": 0.9},  # results
                measured_result(0.5), minimum=3.0)] * 2,
    _takeaway({"front": 1.2, "introduction": 1.0}, lambda s, c: c.past, minimum=2.0),  # the problem
    _takeaway({"conclusion": 1.0, "discussion": 0.8}, lambda s, c: c.significance + c.innovation,  # significance
              minimum=1.0),
)
# Filling up to six: any salient sentence while too few, then only clearly salient ones.
_FILL_WEIGHTS = {"front": 1.2, "introduction": 1.0, "conclusion": 1.0, "*": 0.6}
TAKEAWAY_FILL = _takeaway(_FILL_WEIGHTS, lambda s, c: salience(c) + 0.1, minimum=0.0)
TAKEAWAY_SALIENT = _takeaway(_FILL_WEIGHTS, lambda s, c: salience(c) + 0.1, minimum=1.5)

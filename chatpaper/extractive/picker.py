"""`Picker`: chooses the sentences a digest quotes, each at most once where possible, never two near-duplicates.

A field asks for the best sentence among weighted section roles under its own value function
(chatpaper.extractive.stages); the picker skips used and near-duplicate sentences, weighs down the ones
about other people's work, and falls back to any unused quotable sentence rather than repeat one.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from chatpaper.errors import ProviderError
from chatpaper.extractive.cues import REFERS_BACK, Scores, about_others
from chatpaper.extractive.language import CJK_LANGUAGES, is_cjk_text
from chatpaper.extractive.sentences import BACK_MATTER, PaperText, Sentence
from chatpaper.models import Point
from chatpaper.scripts import CJK_RUN

_WORD = re.compile(r"[a-z0-9]{3,}")


_CJK_RUN = CJK_RUN


def tokens(text: str) -> frozenset[str]:
    """Latin words, and the character bigrams of CJK runs (no spaces to split words on)."""
    words = _WORD.findall(text.lower())
    bigrams = [run[i : i + 2] for run in _CJK_RUN.findall(text) for i in range(len(run) - 1)]
    return frozenset(words + bigrams)


class Picker:
    """Chooses sentences, each at most once where possible, and never two near-duplicates."""

    def __init__(self, text: PaperText, names: tuple[str, ...] = (), *, language: str = "en"):
        self.text = text
        self.good = [s for s in text.sentences if s.quality > 0 and s.role not in BACK_MATTER]
        self.quotable = text.quotable
        if language in CJK_LANGUAGES:  # a Chinese paper is quoted in Chinese, not from its English abstract
            own = [s for s in self.good if is_cjk_text(s.text)]
            if len(own) >= MIN_OWN_LANGUAGE:
                self.good = own
                self.quotable = [s for s in self.quotable if is_cjk_text(s.text)]
        self.scores = {s.index: Scores(s.text, names) for s in self.good}
        self.used: dict[int, frozenset[str]] = {}

    def by_role(self, *roles: str) -> list[Sentence]:
        return [s for s in self.good if s.role in roles]

    def is_duplicate(self, s: Sentence) -> bool:
        if s.index in self.used:
            return True
        mine = tokens(s.text)
        for other in self.used.values():
            union = len(mine | other)
            if union and len(mine & other) / union >= 0.6:
                return True
        return False

    def best(
        self,
        weights: Mapping[str, float],
        key: Callable[[Sentence, Scores], float],
        *,
        allow_used: bool = False,
        minimum: float = 1e-9,
        others: float = 1.0,
        min_quality: float = 0.0,
        standalone: bool = False,
    ) -> Sentence | None:
        """The highest-scoring sentence among the weighted roles ("*" = any role); `others` weighs
        sentences about someone else's work ("[16] propose ...", 0 excludes them); `standalone` skips the ones that lean
        on the sentence before ("Then we report ...")."""
        best, best_value = None, minimum
        for s in self.good:
            w = weights.get(s.role, weights.get("*", 0.0))
            if w <= 0 or s.quality < min_quality:
                continue
            if standalone and REFERS_BACK.match(s.text):
                continue
            if others != 1.0 and about_others(s.text):
                w *= others
            value = key(s, self.scores[s.index]) * w * (0.2 + 0.8 * s.quality)
            if value > best_value and (allow_used or not self.is_duplicate(s)):
                best, best_value = s, value
        return best

    def take(self, s: Sentence | None) -> Sentence | None:
        if s is not None:
            self.used[s.index] = tokens(s.text)
        return s

    def first(self, candidates: Iterable[Sentence], *, allow_used: bool = False) -> Sentence | None:
        return next((s for s in candidates if allow_used or not self.is_duplicate(s)), None)

    def pick(self, *choices: Callable[[], Sentence | None]) -> Sentence:
        """The first choice that finds a sentence, marked as used; any sentence as a last resort."""
        for choice in choices:
            s = choice()
            if s is not None:
                return self.take(s)  # type: ignore[return-value]
        # Never one sentence for two fields while an unused quotable one is left; a tiny paper repeats one
        # (the chain marks it "not distinct") rather than quote a title or an author line.
        s = (self.first(self.good) or self.first(self.quotable)
             or self.first(self.good, allow_used=True) or self.first(self.quotable, allow_used=True))
        return self.take(s or last_resort(self.text))  # type: ignore[return-value]


# A CJK paper with fewer sentences than this in its own script (a broken text layer) is quoted as it is.
MIN_OWN_LANGUAGE = 8


def last_resort(text: PaperText) -> Sentence:
    """A paper without a single clean sentence: its longest line of text, still quoted from its page."""
    best = max(text.sentences, key=lambda s: len(s.text), default=None)
    if best is None:
        raise ProviderError(
            "The paper has no extractable text, so the offline digest has nothing to quote; "
            "try a PDF with a text layer or another provider."
        )
    return best


def quote_point(s: Sentence) -> Point:
    return Point(text=s.text, pages=[s.page])

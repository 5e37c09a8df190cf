"""The comparison key of a quote and of a page: what a verbatim quote must share with the paper.

Both sides go through the same function, so every rule is symmetric: a rule can only make two
spellings of the same text meet, never make different words equal. The key drops whitespace
(line breaks, dropped spaces, CJK spacing) and punctuation (quotes, dashes, line-break hyphens,
a changed comma), expands ligatures and compatibility forms (NFKC), folds case and Latin accents.
A dot between two digits stays: "1.5" must not meet "15" (a comma goes: "10,000" meets "10000").

`keyed` also returns, for every key character, its index in the original text, so a match in the
key maps back to the original characters (and from there to their boxes on the page).
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Spacing accents that old PDFs extract beside their letter ("Herv´e"): the letter's accent, dropped.
_SPACING_ACCENTS = frozenset("´`¨ˆ˜¸ˇ˘˚˙¯")
_ZERO_WIDTH = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")


@lru_cache(maxsize=8192)
def _key_of_char(char: str) -> str:
    """What one character contributes to the key ("" for whitespace, punctuation, marks)."""
    if char in _ZERO_WIDTH or char in _SPACING_ACCENTS:
        return ""
    out = []
    for c in unicodedata.normalize("NFKC", char):
        category = unicodedata.category(c)
        if category[0] in "PZC" or c.isspace():  # punctuation, separators, controls
            continue
        if category[0] == "M":  # a combining mark left by NFKC (an accent on its own)
            continue
        if c < "\u0250":  # Latin: fold accents ("é" -> "e"); other scripts keep their marks
            c = "".join(d for d in unicodedata.normalize("NFD", c) if not unicodedata.combining(d))
        out.append(c.casefold())
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Keyed:
    """A text's comparison key and, per key character, the index of the original character it came from."""

    text: str
    key: str
    index: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original text's [start, end) behind key[start:end]."""
        if not self.index or start >= end:
            return 0, 0
        return self.index[start], self.index[min(end, len(self.index)) - 1] + 1

    def original(self, start: int, end: int) -> str:
        a, b = self.span(start, end)
        return self.text[a:b]


def keyed(text: str) -> Keyed:
    key: list[str] = []
    index: list[int] = []
    for i, char in enumerate(text):
        part = char if char == "." and _between_digits(text, i) else _key_of_char(char)  # a decimal point stays
        for c in part:
            key.append(c)
            index.append(i)
    return Keyed(text, "".join(key), tuple(index))


def _between_digits(text: str, i: int) -> bool:
    """A digit on both sides, looking through spaces ("2 . 3" in letter-spaced text is 2.3)."""
    j = i - 1
    while j >= 0 and text[j] == " ":
        j -= 1
    k = i + 1
    while k < len(text) and text[k] == " ":
        k += 1
    return j >= 0 and k < len(text) and text[j].isdigit() and text[k].isdigit()


def normalise(text: str) -> str:
    """The comparison key alone."""
    return keyed(text).key


_CJK_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF))


def is_cjk(char: str) -> bool:
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in _CJK_RANGES)


def key_weight(key: str) -> int:
    """A key's length in Latin-letter equivalents: a CJK character carries about as much as two letters."""
    return len(key) + sum(1 for c in key if is_cjk(c))

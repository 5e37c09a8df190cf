"""A labelled set of quote/page pairs made by program from real papers, to measure the verifier.

From each paper's page texts: sentences printed once in the paper, then for each
- `exact`: the sentence, cited on its page -> verified;
- damage a reader or a model really introduces, cited on its page -> verified: `hyphenation`
  ("exam- ple"), `ligature` ("ﬁ"), `dropped-spaces`, `cjk-spacing` (spaces between CJK characters,
  or around Latin runs), `punctuation` (one mark changed), `quotes` (straight/curly quotes and dashes),
  `citation-dropped` (a bracketed reference left out), `typo` (one letter of a long word doubled);
- `moved`: the exact sentence cited on another page -> relocated to its own page;
- things that must not verify -> unverified: `paraphrase` (a third of the words replaced by other
  words of the paper, clauses swapped), `spliced` (the halves of two sentences from different pages),
  `number-changed` (one number altered), `negated` ("not" inserted), `shuffled` (the paper's words in
  a random order).
Deterministic for a seed; no I/O (callers pass page texts). `score_labelled` measures the verifier on it
(the test's thresholds and bench_evidence's figures come from the same count).
"""
from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from chatpaper.evidence.normalise import is_cjk, normalise
from chatpaper.evidence.verify import PageIndex, verify_evidence
from chatpaper.models import Evidence

Expected = Literal["verified", "relocated", "unverified"]
POSITIVE_KINDS = ("exact", "hyphenation", "ligature", "dropped-spaces", "cjk-spacing", "punctuation", "quotes",
                  "citation-dropped", "typo")
NEGATIVE_KINDS = ("paraphrase", "spliced", "number-changed", "negated", "shuffled")

_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+(?=[A-Z\u4e00-\u9fff\"“(\[])|(?<=[。！？])")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_CITATION = re.compile(r"\s?\[\d+(?:[,–-]\s?\d+)*\]")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")


@dataclass(frozen=True, slots=True)
class LabelledQuote:
    paper: str
    kind: str
    quote: str
    cited: int  # the page the quote claims
    expected: Expected
    page: int | None  # where it really is (None for negatives)


def sentences(page_text: str) -> list[str]:
    """Prose sentences of a page: 8-40 words (or 15-90 CJK characters), mostly letters."""
    out = []
    for raw in _SENTENCE_END.split(re.sub(r"\s+", " ", page_text)):
        s = raw.strip()
        cjk = sum(1 for c in s if is_cjk(c))
        words = len(s.split())
        if cjk >= 15:
            if not 15 <= cjk <= 90:
                continue
        elif not 8 <= words <= 40 or len(_LATIN_WORD.findall(s)) < 0.7 * words:
            continue
        out.append(s)
    return out


def _hyphenate(s: str, rng: random.Random) -> str | None:
    long = [m for m in re.finditer(r"[a-z]{8,}", s)]
    if not long:
        return None
    m = rng.choice(long)
    cut = m.start() + rng.randint(3, len(m.group()) - 3)
    return s[:cut] + "- " + s[cut:]


def _ligature(s: str, rng: random.Random) -> str | None:
    for pair, lig in (("ffi", "ﬃ"), ("fi", "ﬁ"), ("fl", "ﬂ"), ("ff", "ﬀ")):
        if pair in s:
            return s.replace(pair, lig)
    return None


def _drop_spaces(s: str, rng: random.Random) -> str | None:
    spaces = [m.start() for m in re.finditer(" ", s)]
    if len(spaces) < 4:
        return None
    for at in sorted(rng.sample(spaces, 2), reverse=True):
        s = s[:at] + s[at + 1:]
    return s


def _cjk_spacing(s: str, rng: random.Random) -> str | None:
    if sum(1 for c in s if is_cjk(c)) >= 10:  # a PDF's letter-spaced CJK: a space between characters
        return " ".join(s.replace(" ", ""))
    # Latin: the spaces an OCR or a CJK-aware tokenizer puts around brackets and punctuation
    spaced = re.sub(r"\s*([,;:()])\s*", r" \1 ", s)
    return spaced if spaced != s else None


def _punctuation(s: str, rng: random.Random) -> str | None:
    marks = [m.start() for m in re.finditer(r"(?<!\d)[,;:，；：]|[,;:，；：](?!\d)", s)]  # not inside a number
    if marks:
        at = rng.choice(marks)
        return s[:at] + {",": ";", ";": ",", ":": ";", "，": "、", "；": "，", "：": "，"}[s[at]] + s[at + 1:]
    if s.endswith((".", "。")):
        return s[:-1] + ("!" if s.endswith(".") else "；")
    return None


def _quotes(s: str, rng: random.Random) -> str | None:
    table = str.maketrans({'"': "“", "'": "’", "-": "–", "“": '"', "”": '"', "’": "'", "–": "-", "—": "-"})
    out = s.translate(table)
    return out if out != s else (f"“{s}”" if s else None)


def _drop_citation(s: str, rng: random.Random) -> str | None:
    out = _CITATION.sub("", s)
    return out if out != s else None


def _typo(s: str, rng: random.Random) -> str | None:
    long = [m for m in re.finditer(r"[a-z]{7,}", s)]
    if not long:
        return None
    m = rng.choice(long)
    at = m.start() + rng.randint(2, len(m.group()) - 2)
    return s[:at] + s[at] + s[at:]


DAMAGE = {"hyphenation": _hyphenate, "ligature": _ligature, "dropped-spaces": _drop_spaces,
          "cjk-spacing": _cjk_spacing, "punctuation": _punctuation, "quotes": _quotes,
          "citation-dropped": _drop_citation, "typo": _typo}


def _paraphrase(s: str, vocabulary: list[str], rng: random.Random) -> str | None:
    if sum(1 for c in s if is_cjk(c)) >= 15:  # Chinese: a third of the characters replaced, halves swapped
        chars = list(s)
        spots = [i for i, c in enumerate(chars) if is_cjk(c)]
        for i in rng.sample(spots, max(1, len(spots) // 3)):
            chars[i] = rng.choice("的是在了和有我们提出方法模型数据结果实验性能本文研究")
        text = "".join(chars)
        half = len(text) // 2
        return text[half:] + text[:half]
    words = s.split()
    if len(words) < 6:
        return None
    for i in rng.sample(range(len(words)), max(2, len(words) // 3)):
        words[i] = rng.choice(vocabulary)
    half = len(words) // 2
    return " ".join(words[half:] + words[:half])


def _negate(s: str, rng: random.Random) -> str | None:
    for verb in (" is ", " are ", " can ", " does ", " will ", " was ", " were ", " has "):
        if verb in s:
            return s.replace(verb, verb + "not ", 1)
    if "是" in s:
        return s.replace("是", "不是", 1)
    if "可以" in s:
        return s.replace("可以", "不可以", 1)
    return None


def _change_number(s: str, rng: random.Random) -> str | None:
    numbers = list(_NUMBER.finditer(s))
    if not numbers:
        return None
    m = rng.choice(numbers)
    text = m.group()
    if text.isdigit():
        changed = str(int(text) + rng.randint(1, 9))
    else:
        changed = f"{float(text) + 0.1 * rng.randint(1, 9):.{len(text.split('.')[1])}f}"
    return s[:m.start()] + changed + s[m.end():]


def build_labelled_set(papers: Sequence[tuple[str, Sequence[str]]], *, per_paper: int = 12,
                       seed: int = 11) -> Iterator[LabelledQuote]:
    """(name, page texts) per paper -> labelled quotes; sentences printed twice in a paper are skipped."""
    for name, pages in papers:
        rng = random.Random(f"{seed}:{name}")
        keys = [normalise(t) for t in pages]
        candidates = []
        for number, text in enumerate(pages, start=1):
            for s in sentences(text):
                key = normalise(s)
                if len(key) >= 30 and sum(k.count(key) for k in keys) == 1:
                    candidates.append((number, s))
        if not candidates:
            continue
        vocabulary = sorted({w for _, s in candidates for w in _LATIN_WORD.findall(s) if len(w) > 3}) or ["method"]
        picked = rng.sample(candidates, min(per_paper, len(candidates)))
        for k, (page, s) in enumerate(picked):
            yield LabelledQuote(name, "exact", s, page, "verified", page)
            for kind, damage in DAMAGE.items():
                damaged = damage(s, rng)
                if damaged and damaged != s:
                    yield LabelledQuote(name, kind, damaged, page, "verified", page)
            if len(pages) > 1:
                other = rng.choice([p for p in range(1, len(pages) + 1) if p != page])
                yield LabelledQuote(name, "moved", s, other, "relocated", page)
            if (para := _paraphrase(s, vocabulary, rng)) is not None:
                yield LabelledQuote(name, "paraphrase", para, page, "unverified", None)
            partner = picked[(k + 1) % len(picked)]
            if partner[0] != page:
                a, b = s.split(), partner[1].split()
                if len(a) > 3 and len(b) > 3:
                    spliced = " ".join(a[: len(a) // 2] + b[len(b) // 2:])
                    if sum(1 for c in s if is_cjk(c)) >= 15:
                        spliced = s[: len(s) // 2] + partner[1][len(partner[1]) // 2:]
                    yield LabelledQuote(name, "spliced", spliced, page, "unverified", None)
            if (changed := _change_number(s, rng)) is not None:
                yield LabelledQuote(name, "number-changed", changed, page, "unverified", None)
            if (negated := _negate(s, rng)) is not None:
                yield LabelledQuote(name, "negated", negated, page, "unverified", None)
            cjk = sum(1 for c in s if is_cjk(c)) >= 15
            parts = list(s.replace(" ", "")) if cjk else s.split()
            for _ in range(5):  # a shuffle can return the same order
                rng.shuffle(parts)
                shuffled = ("" if cjk else " ").join(parts)
                if normalise(shuffled) != normalise(s):
                    yield LabelledQuote(name, "shuffled", shuffled, page, "unverified", None)
                    break


@dataclass
class LabelledScore:
    """The verifier on a labelled set: precision of what it accepts (right status and page), recall over the
    quotes that are in the paper, what it got wrong by kind, and the time per quote."""

    n: int = 0
    accepted: int = 0  # verified or relocated
    accepted_right: int = 0
    in_paper: int = 0  # expected verified or relocated
    in_paper_right: int = 0
    wrong: Counter[str] = field(default_factory=Counter)
    times_ms: list[float] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.accepted_right / self.accepted if self.accepted else 0.0

    @property
    def recall(self) -> float:
        return self.in_paper_right / self.in_paper if self.in_paper else 0.0


def score_labelled(items: Iterable[LabelledQuote], indexes: Mapping[str, PageIndex]) -> LabelledScore:
    """Verify each labelled quote against its paper's index and count the outcomes."""
    result = LabelledScore()
    for q in items:
        started = time.perf_counter()
        ev = verify_evidence(Evidence(page=q.cited, quote=q.quote), indexes[q.paper])
        result.times_ms.append((time.perf_counter() - started) * 1000)
        correct = ev.status == q.expected and (q.page is None or ev.page == q.page)
        result.n += 1
        result.wrong[q.kind] += not correct
        if ev.status != "unverified":
            result.accepted += 1
            result.accepted_right += correct
        if q.expected != "unverified":
            result.in_paper += 1
            result.in_paper_right += correct
    result.wrong = +result.wrong  # only the kinds that went wrong
    return result

"""Is a quote on the page it cites? Deterministic, no model: the comparison key, exact then fuzzy.

    index = PageIndex(paper.page_texts)
    evidence = verify_evidence(Evidence(page=3, quote="..."), index)   # status and page set

Found on the cited page: `verified`. Found on another page: `relocated`, with the page corrected.
Not found, or too short to tell: `unverified`. The fuzzy step is rapidfuzz's partial ratio (the best
alignment of the quote inside the page) on the keys; FUZZY_THRESHOLD was measured on a labelled set
of corpus quotes (benchmarks/bench_evidence.py, tests/test_evidence_labelled.py).
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from chatpaper.evidence.normalise import Keyed, is_cjk, key_weight, keyed, normalise
from chatpaper.models import Evidence, Point
from chatpaper.scripts import CJK_LETTERS

# Partial-ratio score (0-100) from which a quote counts as found. Measured on the labelled set:
# realistic damage (hyphenation, ligatures, dropped spaces, a changed mark) scores >= 94, while
# paraphrases and fabricated sentences built from the paper's own words stay below 85.
FUZZY_THRESHOLD = 90.0
# Below this weight (Latin letters; a CJK character counts two) a "quote" matches almost any page:
# "the model" proves nothing, so it is not verified.
MIN_QUOTE_WEIGHT = 16
# A quote longer than this (key characters) is cut: a 40-word sentence is ~250; a pasted paragraph
# must not make every check slow, and its start is enough to find it.
MAX_QUOTE_KEY = 600

# A fuzzy match may differ from the page in spelling, never in meaning (see same_words): a changed
# long word must be at least this similar to the page's (a typo, a mangled glyph).
WORD_SIMILARITY = 85.0
LONG_WORD = 5

# Room around a fuzzy alignment: key characters beyond its ends; how many of the quote's first
# (last) words may start (end) the passage, and how many such places are tried.
EDGE_SLACK = 12
EDGE_WORDS = 3
EDGE_TRIES = 6

# Matches a PageIndex remembers: a digest has ~30 points of 1-2 quotes, asked about once or twice each.
MAX_REMEMBERED = 4096

MatchKind = Literal["exact", "fuzzy"]
_CJK_CLASS = CJK_LETTERS
# numbers, single CJK characters, runs of other letters
_TOKEN = re.compile(rf"\d+(?:[.,]\d+)*|[{_CJK_CLASS}]|[^\W\d_{_CJK_CLASS}]+")


@dataclass(frozen=True, slots=True)
class QuoteMatch:
    """Where a quote's key was found in a page's key."""

    page: int  # 1-based
    start: int  # in the page's key
    end: int
    score: float  # 100 for exact
    kind: MatchKind


class PageIndex:
    """The keys of a paper's page texts, built once per paper."""

    def __init__(self, page_texts: Sequence[str]):
        self.pages: list[Keyed] = [keyed(t or "") for t in page_texts]
        # (quote, cited page, threshold) -> match: the guard and the final check ask about the same quotes
        self.found: dict[tuple[str, int, float], QuoteMatch | None] = {}

    def __len__(self) -> int:
        return len(self.pages)

    def page(self, number: int) -> Keyed | None:
        return self.pages[number - 1] if 1 <= number <= len(self.pages) else None


def quote_key(quote: str) -> str:
    return keyed(quote).key[:MAX_QUOTE_KEY]


def match_on_page(key: str, page: Keyed, *, threshold: float = FUZZY_THRESHOLD,
                  quote_text: str | None = None) -> QuoteMatch | None:
    """Exact, then fuzzy; None when the page does not hold the quote. `page` of the result is 0.

    `quote_text` is the quote as written, for the fuzzy match's word check (else the key is used)."""
    if not key or not page.key:
        return None
    at = page.key.find(key)
    if at != -1:
        return QuoteMatch(0, at, at + len(key), 100.0, "exact")
    if len(key) > len(page.key) * 1.1:  # a quote longer than the page is not on it
        return None
    found = fuzz.partial_ratio_alignment(key, page.key, score_cutoff=threshold)
    if found is None:
        return None
    # the page's words around the alignment, with room for the quote's unaligned ends
    before = found.src_start + EDGE_SLACK
    after = len(key) - found.src_end + EDGE_SLACK
    start, end = page.span(max(0, found.dest_start - before), min(len(page.key), found.dest_end + after))
    text = page.text
    while start > 0 and text[start - 1].isalnum() and not is_cjk(text[start - 1]):  # whole words at both ends
        start -= 1
    while end < len(text) and text[end].isalnum() and not is_cjk(text[end]):
        end += 1
    if not same_words(quote_text or key, text[start:end]):
        return None
    return QuoteMatch(0, found.dest_start, found.dest_end, found.score, "fuzzy")


def words(text: str) -> list[str]:
    """Numbers and words by their keys; a CJK run counts character by character (no spaces to split on)."""
    out: list[str] = []
    for token in _TOKEN.findall(text):
        if token[0].isdigit() or is_cjk(token[0]):
            out.append(token)
        else:
            key = normalise(token)
            if key:
                out.append(key)
    return out


def _judge(quoted: list[str], printed: list[str]) -> bool:
    """Whether one differing stretch (the quote's words vs the page's) is damage rather than a change of meaning."""
    if not quoted:  # words of the page the quote leaves out: only citation numbers and stray letters
        return all(w[0].isdigit() or (len(w) == 1 and not is_cjk(w)) for w in printed)
    page_numbers = {w for w in printed if w[0].isdigit()}
    if any(w[0].isdigit() and w not in page_numbers for w in quoted):  # a number the page does not print here
        return False
    quoted = [w for w in quoted if not w[0].isdigit()]
    printed = [w for w in printed if not w[0].isdigit()]
    if not quoted or "".join(quoted) == "".join(printed):  # spaces or hyphens moved, citations left out
        return True
    if len(quoted) != len(printed):  # a word added or dropped
        return False
    return all(a == b or (len(a) >= LONG_WORD and not is_cjk(a[0]) and not is_cjk(b[0])
                          and fuzz.ratio(a, b) >= WORD_SIMILARITY) for a, b in zip(quoted, printed, strict=True))


def _same_run(qw: list[str], pw: list[str]) -> bool:
    """The quote's words against a run of page words; page words left over at either end are free."""
    blocks: list[tuple[int, int, int, int]] = []
    for op in Levenshtein.opcodes(qw, pw):
        if op.tag == "equal":
            continue
        if blocks and blocks[-1][1] == op.src_start and blocks[-1][3] == op.dest_start:
            blocks[-1] = (blocks[-1][0], op.src_end, blocks[-1][2], op.dest_end)
        else:
            blocks.append((op.src_start, op.src_end, op.dest_start, op.dest_end))
    for q0, q1, p0, p1 in blocks:
        quoted, printed = qw[q0:q1], pw[p0:p1]
        at_start, at_end = p0 == 0 and q0 == 0, p1 == len(pw) and q1 == len(qw)
        if not quoted and (at_start or at_end):  # the passage reaches beyond the quote
            continue
        if at_start or at_end:  # the page words beyond the quote's end are merged into this stretch
            n = len(quoted)
            runs = [printed[-k:] if at_start else printed[:k] for k in (n, n + 1, n - 1) if 0 < k <= len(printed)]
        else:
            runs = [printed]
        if not any(_judge(quoted, run) for run in runs):
            return False
    return True


def same_words(quote: str, passage: str) -> bool:
    """The quote says what a run of the passage's words says: each differing stretch is only damage.

    Differing stretches are judged whole (a dropped space turns two words into one): the quote may
    leave out citation numbers and stray letters, and may misspell a long word; it may not add or
    drop a word, change a number, or change a short word ("not", "no") or a CJK character. The run
    may start at any place where the page prints one of the quote's first words (an alignment of
    "the" to an earlier "the" must not hide the real one), and end likewise.
    """
    qw, pw = words(quote), words(passage)
    if not qw:
        return False
    head, tail = set(qw[:EDGE_WORDS]), set(qw[-EDGE_WORDS:])
    starts = [0, *[i for i, w in enumerate(pw) if w in head][:EDGE_TRIES]]
    ends = [len(pw), *[i + 1 for i, w in enumerate(pw) if w in tail][-EDGE_TRIES:]]
    return any(_same_run(qw, pw[a:b]) for a in dict.fromkeys(starts) for b in dict.fromkeys(ends) if b > a)


def find_quote(quote: str, cited: int, index: PageIndex, *, threshold: float = FUZZY_THRESHOLD,
               key: str | None = None) -> QuoteMatch | None:
    """The cited page first, then the others nearest first; exact matches anywhere beat fuzzy ones."""
    key = quote_key(quote) if key is None else key
    if key_weight(key) < MIN_QUOTE_WEIGHT:
        return None
    order = sorted(range(1, len(index) + 1), key=lambda p: (abs(p - cited), p))
    if cited in order:  # the cited page, exact or fuzzy, wins outright
        order.remove(cited)
        page = index.page(cited)
        hit = match_on_page(key, page, threshold=threshold, quote_text=quote) if page else None
        if hit:
            return QuoteMatch(cited, hit.start, hit.end, hit.score, hit.kind)
    for number in order:
        at = index.pages[number - 1].key.find(key)
        if at != -1:
            return QuoteMatch(number, at, at + len(key), 100.0, "exact")
    best: QuoteMatch | None = None
    for number in order:
        hit = match_on_page(key, index.pages[number - 1], threshold=threshold, quote_text=quote)
        if hit and (best is None or hit.score > best.score):
            best = QuoteMatch(number, hit.start, hit.end, hit.score, hit.kind)
    return best


def verify_evidence(evidence: Evidence, index: PageIndex, *, threshold: float = FUZZY_THRESHOLD) -> Evidence:
    """A copy with `status` (and, when relocated, `page`) set; boxes are cleared (they belong to the old page)."""
    memo = (evidence.quote, evidence.page, threshold)
    if memo in index.found:
        hit = index.found[memo]
    else:
        hit = find_quote(evidence.quote, evidence.page, index, threshold=threshold)
        if len(index.found) < MAX_REMEMBERED:
            index.found[memo] = hit
    if hit is None:
        return evidence.model_copy(update={"status": "unverified", "boxes": []})
    status = "verified" if hit.page == evidence.page else "relocated"
    return evidence.model_copy(update={"status": status, "page": hit.page, "boxes": []})


# --------------------------------------------------------------------------- a stage's points

_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+")


def _own_quotes(point: Point, index: PageIndex) -> list[Evidence]:
    """An extractive point is the paper's own text: it is its own quote (sentence by sentence if need be)."""
    cited = point.pages[0] if point.pages else 1
    whole = verify_evidence(Evidence(page=cited, quote=point.text), index)
    if whole.status != "unverified":
        return [whole]
    parts = [verify_evidence(Evidence(page=cited, quote=s), index) for s in _SENTENCE.split(point.text) if s.strip()]
    found = [e for e in parts if e.status != "unverified"]
    return found[:2] or [whole]


def verify_points(result: BaseModel, index: PageIndex, *, own_quotes: bool = False) -> tuple[BaseModel, int, int]:
    """A copy of a stage result with every quote checked -> (result, points, verified points).

    `own_quotes`: points without quotes quote themselves (the offline provider copies the paper).
    A relocated quote's page joins the point's pages: the page it really rests on.
    """
    total = verified = 0

    def check(point: Point) -> Point:
        nonlocal total, verified
        evidence = [verify_evidence(e, index) for e in point.evidence]
        if not evidence and own_quotes:
            evidence = _own_quotes(point, index)
        pages = sorted(set(point.pages) | {e.page for e in evidence if e.status == "relocated"})
        checked = point.model_copy(update={"evidence": evidence, "pages": pages})
        total += 1
        verified += checked.verified
        return checked

    update: dict[str, Point | list[Point]] = {}
    for name, value in result:
        if isinstance(value, Point):
            update[name] = check(value)
        elif isinstance(value, list) and value and isinstance(value[0], Point):
            update[name] = [check(p) for p in value]
    return result.model_copy(update=update), total, verified


def _points(result: BaseModel) -> Iterator[tuple[str, Point]]:
    """(field path, point) of every point of a stage result: "background", "steps[2]"."""
    for name, value in result:
        items = [(name, value)] if isinstance(value, Point) else (
            [(f"{name}[{i}]", p) for i, p in enumerate(value)] if isinstance(value, list) else [])
        yield from ((path, p) for path, p in items if isinstance(p, Point))


def unverified_points(result: BaseModel) -> list[tuple[str, Point]]:
    return [(path, p) for path, p in _points(result) if not p.verified]


def relocated_points(result: BaseModel) -> list[tuple[str, Point]]:
    """Checked points whose quotes were found only on another page than the one cited (the page corrected)."""
    return [(path, p) for path, p in _points(result)
            if p.verified and not any(e.status == "verified" for e in p.evidence)]

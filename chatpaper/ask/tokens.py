"""Text -> index terms, for English and Chinese alike.

Latin words are lower-cased, stop words dropped and stemmed (Snowball, through PyStemmer). Chinese has
no spaces, so a run of CJK characters becomes either its character bigrams (the default: no
dictionary, nothing to load, and measured as good as jieba on the question set, see
benchmarks/bench_ask.py) or jieba's search-mode words. Spaces the PDF put between CJK characters are
ignored, so "但 是目前" and "但是目前" give the same terms.
"""
from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache
from typing import Literal

from chatpaper.scripts import CJK_LETTERS

Tokenizer = Literal["bigram", "jieba"]
TOKENIZERS: tuple[Tokenizer, ...] = ("bigram", "jieba")
DEFAULT_TOKENIZER: Tokenizer = "bigram"

_CJK = CJK_LETTERS
_TERM = re.compile(rf"[{_CJK}]+(?:\s+[{_CJK}]+)*|[^\W_{_CJK}]+")
_CJK_RUN = re.compile(rf"^[{_CJK}]")
_SPACE = re.compile(r"\s+")

# A short English list: the question words and the glue of every sentence. Longer lists drop terms
# a question needs ("between", "first"); BM25's idf weighs the rest down anyway.
STOPWORDS = frozenset(
    "a an and are as at be been by can do does did for from has have how in into is it its of on or "
    "that the their them these they this those to was we were what when where which who whom why will "
    "with our paper authors author".split()
)
# The Chinese glue characters, dropped as single terms (jieba) and from bigram edges they dominate.
ZH_STOPWORDS = frozenset(
    "的 了 是 在 和 与 及 或 对 中 为 等 也 而 并 其 之 这 那 该 "
    "本文 论文 什么 哪些 哪个 如何 怎样 多少 是否 吗 呢 采用 使用 用".split())

_jieba_lock = threading.Lock()


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # noqa: PLC0415 - PyStemmer; imported on first use

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _jieba():
    import jieba  # noqa: PLC0415 - optional: only the jieba tokenizer needs it

    jieba.setLogLevel(logging.WARNING)
    with _jieba_lock:
        jieba.initialize()  # loads its dictionary once (about a second)
    return jieba


def _cjk_terms(run: str, tokenizer: Tokenizer) -> list[str]:
    run = _SPACE.sub("", run)
    if tokenizer == "jieba":
        return [w for w in _jieba().lcut_for_search(run) if w not in ZH_STOPWORDS and w.strip()]
    if len(run) == 1:
        return [] if run in ZH_STOPWORDS else [run]
    return [run[i:i + 2] for i in range(len(run) - 1)]


def tokenize(text: str, tokenizer: Tokenizer = DEFAULT_TOKENIZER) -> list[str]:
    """Index terms of TEXT, in order (repeats kept: BM25 counts them)."""
    if tokenizer not in TOKENIZERS:
        raise ValueError(f"unknown tokenizer {tokenizer!r}; expected one of {TOKENIZERS}")
    text = unicodedata.normalize("NFKC", text).casefold()
    terms: list[str] = []
    latin: list[int] = []  # positions of Latin words in `terms`, stemmed together below
    for match in _TERM.finditer(text):
        piece = match.group()
        if _CJK_RUN.match(piece):
            terms.extend(_cjk_terms(piece, tokenizer))
        elif piece not in STOPWORDS and (len(piece) > 1 or piece.isdigit()):
            latin.append(len(terms))
            terms.append(piece)
    if latin:  # one call for all of them: PyStemmer is fast per call, not per word
        for position, stem in zip(latin, _stemmer().stemWords([terms[i] for i in latin]), strict=True):
            terms[position] = stem
    return terms

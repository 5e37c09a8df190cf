"""The ask question set (tests/fixtures/ask_questions.json) and how a retrieval is scored on it.

Shared by tests/test_ask_retrieval.py and benchmarks/bench_ask.py. A hit is the gold passage when it is
on the gold page and holds the gold sentence's start or end (a passage may end inside a long sentence).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

QUESTIONS_FILE = Path(__file__).resolve().parent / "fixtures" / "ask_questions.json"
_SPACE = re.compile(r"\s+")
GOLD_PROBE = 30  # characters of the gold sentence's start (or end) a passage must hold


@dataclass(frozen=True)
class Question:
    paper: str
    lang: str
    question: str
    page: int | None
    answer: str | None  # None: the paper does not say


def load_questions() -> list[Question]:
    rows = json.loads(QUESTIONS_FILE.read_text(encoding="utf-8"))["questions"]
    return [Question(**row) for row in rows]


def squash(text: str) -> str:
    """Whitespace removed: the PDF puts spaces between CJK characters and line breaks anywhere."""
    return _SPACE.sub("", text)


def is_gold(passage, question: Question) -> bool:
    gold = squash(question.answer or "")
    text = squash(passage.text)
    return bool(gold) and passage.page == question.page and (gold[:GOLD_PROBE] in text or gold[-GOLD_PROBE:] in text)


def gold_rank(hits, question: Question) -> int | None:
    """1-based rank of the first gold passage among HITS, None when it is not there."""
    return next((hit.rank for hit in hits if is_gold(hit.passage, question)), None)


def scores(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {"recall@1": sum(r == 1 for r in ranks) / n,
            "recall@5": sum(r is not None and r <= 5 for r in ranks) / n,
            "mrr": sum(1 / r for r in ranks if r) / n}

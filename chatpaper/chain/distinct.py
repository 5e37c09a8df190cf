"""After the last retry: a copy is never shown as content.

A small model fills several fields with the same sentence (background = past methods = proposed
method = performance, word for word). Once the retries are spent, each sentence is kept once, at its
first place; a field left with nothing of its own is replaced by a mark in the reader's language, and
a list keeps only its distinct items. The stage record lists the marked fields and keeps the raw reply.
"""
from __future__ import annotations

import re
from difflib import SequenceMatcher

from pydantic import BaseModel

from chatpaper.chain.prompts import base_lang
from chatpaper.models import Digest, Point

# What a marked field says, in the reader's language (en and zh have their own; others read English).
NOT_DISTINCT = {
    "en": "(not distinct in the model's reply)",
    "zh": "（模型回复中此项未给出不同的内容）",
}
# A sentence this close to an earlier one is the same sentence ("word for word" up to a typo or a digit).
SAME_SENTENCE_RATIO = 0.9
# Fewer script units than this ("See above.", "(1)") is no content of its own.
MIN_UNITS = 3

_UNIT = re.compile(r"[A-Za-z\u00c0-\u024f]{2,}|[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]|\d+(?:[.,]\d+)*")
# A sentence ends at . ! ? ; followed by a space, or at CJK end punctuation (no space follows in CJK).
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=\S)|(?<=[。！？；])")


def not_distinct_mark(lang: str) -> str:
    return NOT_DISTINCT.get(base_lang(lang), NOT_DISTINCT["en"])


def is_mark(text: str) -> bool:
    return text in NOT_DISTINCT.values()


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def _key(sentence: str) -> str:
    """Case, spacing and punctuation do not make a sentence new."""
    return "".join(_UNIT.findall(sentence.lower()))


def _units(sentence: str) -> int:
    return len(_UNIT.findall(sentence))


def _join(parts: list[str]) -> str:
    out = ""
    for part in parts:
        glue = "" if not out or re.search(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]$", out) else " "
        out += glue + part
    return out


class _Seen:
    def __init__(self, title: str):
        self.keys: list[str] = [_key(title)] if title.strip() else []

    def has(self, sentence: str) -> bool:
        key = _key(sentence)
        if not key:
            return True
        return any(key == k or SequenceMatcher(None, key, k, autojunk=False).ratio() >= SAME_SENTENCE_RATIO
                   for k in self.keys)

    def add(self, sentence: str) -> None:
        self.keys.append(_key(sentence))


def _own(point: Point, seen: _Seen) -> Point | None:
    """The point with only its sentences not seen before; None when nothing of its own is left."""
    parts = sentences(point.text)
    kept = [s for s in parts if not seen.has(s)]
    if not any(_units(s) >= MIN_UNITS for s in kept):
        return None
    for s in kept:
        seen.add(s)
    return point if len(kept) == len(parts) else point.model_copy(update={"text": _join(kept)})


def mark_repeats(result: BaseModel, lang: str, title: str = "") -> tuple[BaseModel, list[str]]:
    """(result with copies removed or marked, the paths of the fields that were not distinct).

    Fields are read in the schema's order, which is the order the reader meets them in.
    """
    seen = _Seen(title)
    update: dict[str, object] = {}
    marked: list[str] = []
    mark = Point(text=not_distinct_mark(lang), pages=[])
    for name, value in result:
        if isinstance(value, Point):
            own = _own(value, seen) if not is_mark(value.text) else None
            if own is None:
                marked.append(name)
                update[name] = mark
            elif own is not value:
                update[name] = own
        elif isinstance(value, list) and value and all(isinstance(v, Point) for v in value):
            kept = []
            for i, item in enumerate(value):
                if is_mark(item.text):  # the whole list was given up (small profile): its mark stays, once
                    if name not in marked:
                        marked.append(name)
                        kept.append(item)
                    continue
                own = _own(item, seen)
                if own is None:
                    marked.append(f"{name}[{i}]")
                else:
                    kept.append(own)
            if len(kept) != len(value) or any(a is not b for a, b in zip(kept, value, strict=True)):
                update[name] = kept
    return (result.model_copy(update=update) if update else result), marked


def not_distinct_count(digest: Digest) -> int:
    """How many fields of the digest the model failed to fill distinctly (after its retries)."""
    return sum(len(r.not_distinct) for r in digest.provenance.stages)


NOTICE = {
    "en": "⚠️ The model did not fill {n} field{s} distinctly (marked \"not distinct in the model's reply\"); "
          "a larger model, or the Gemini provider with a GEMINI_API_KEY, writes a fuller digest.",
    "zh": "⚠️ 模型有 {n} 项未能给出不同的内容（已标注“模型回复中此项未给出不同的内容”）；"
          "换用更大的模型，或配置 GEMINI_API_KEY 使用 Gemini，可得到更完整的摘要。",
}


def not_distinct_notice(digest: Digest) -> str | None:
    """One sentence for the top of a digest, in the reader's language; None when every field is distinct."""
    n = not_distinct_count(digest)
    if not n:
        return None
    template = NOTICE.get(base_lang(digest.lang), NOTICE["en"])
    return template.format(n=n, s="" if n == 1 else "s")

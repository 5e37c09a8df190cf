"""An Answer as plain text for a terminal: the answer, then each quote (or passage) with its page."""
from __future__ import annotations

import re
import textwrap

from chatpaper.ask.models import Answer

RETRIEVED_LABEL = ("Retrieved passages (offline: no model wrote an answer; these are the paper's own words, "
                   "best first):")
NEAREST_LABEL = "Nearest passages:"
NEAREST_SHOWN = 3  # enough to see what the paper says nearby, few enough not to read as an answer
QUOTE_STATUS = {"verified": "verified", "relocated": "found on this page, not the one the model cited",
                "unverified": "not found in the paper"}
_WIDTH = 100
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u3000-\u303f\uff00-\uffef"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}]) +(?=[{_CJK}])")


def display_text(text: str) -> str:
    """One line, without the spaces a PDF puts between Chinese characters ("实验性 能" -> "实验性能")."""
    return _CJK_GAP.sub("", " ".join(text.split()))


def _indent(text: str) -> str:
    return textwrap.fill(display_text(text), width=_WIDTH, initial_indent="    ", subsequent_indent="    ")


def answer_as_text(answer: Answer) -> str:
    lines: list[str] = []
    if answer.kind == "retrieved":
        lines.append(RETRIEVED_LABEL)
        for hit in answer.passages:
            where = f"p. {hit.passage.page}" + (f" · {hit.passage.section}" if hit.passage.section else "")
            lines += [f"[{hit.rank}] {where}", _indent(hit.passage.text)]
        if not answer.passages:
            lines.append("    (none: no passage shares a word with the question)")
    else:
        lines.append(display_text(answer.text))
        if answer.kind == "answer":
            for k, quote in enumerate(answer.quotes, start=1):
                mark = "" if quote.status == "verified" else f" ({QUOTE_STATUS[quote.status]})"
                lines += [f"[{k}] p. {quote.page}{mark}", _indent(f"“{quote.quote}”")]
        else:  # the paper does not say: the nearest passages, so the reader can judge
            lines.append(NEAREST_LABEL if answer.passages else "")
            for hit in answer.passages[:NEAREST_SHOWN]:
                where = f"p. {hit.passage.page}" + (f" · {hit.passage.section}" if hit.passage.section else "")
                lines += [f"[{hit.rank}] {where}", _indent(hit.passage.text)]
    lines += [f"warning: {w}" for w in answer.warnings]
    return "\n".join(line for line in lines if line or not lines)

"""Paper -> passages: the paragraphs of each page (with their section) and the figure captions.

Passages come from `Paper.page_texts`, so each has its exact page; a page's text has one block per
line, and short blocks (display equations, table cells, broken lines) join their neighbours until a
passage is long enough to be worth retrieving. Section headings are found by the titles the parser
found; the references are left out (they match every question's vocabulary and answer none).
"""
from __future__ import annotations

import re
import unicodedata

from chatpaper.ask.models import Passage
from chatpaper.models import Paper, Section
from chatpaper.scripts import CJK_LETTERS

# Lengths in "units": a CJK character or a Latin word each count one (a Chinese sentence is ~30 units).
MIN_UNITS = 40  # below this a block joins the next one: alone it is too short to rank or to read
MAX_UNITS = 220  # above this a block is cut at sentence ends: BM25 favours focused passages

_CJK = CJK_LETTERS
_UNIT = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])|(?<=[。！？；])")
_HEADING_NUMBER = re.compile(r"^(?:第\s*[\d一二三四五六七八九十]+\s*[章节]|(?:\d+|[IVX]+|[A-Z])(?:\s*\.\s*\d+)*(?:\.\s*|\s+))")
_REFERENCES = re.compile(r"^(?:\d+\.?\s*)?(?:references|bibliography|参\s*考\s*文\s*献)\s*[:：]?$", re.I)
_BARE_HEADING = re.compile(r"^\d+(?:\s*\.\s*\d+){0,3}\.?\s+[^\W\d][^。.!?！？，,；;：:]{1,30}$")
_TERMINAL = re.compile(r"[.!?。！？：:][\"'”’)\]」』）]*$")
_CAPTION = re.compile(r"^(?:fig(?:ure)?\.?|图)\s*\d", re.I)


def units(text: str) -> int:
    return len(_UNIT.findall(text))


def _key(text: str, *, numbered: bool = True) -> str:
    """Comparable form of a heading: no numbering, no spaces or punctuation, case-folded."""
    text = unicodedata.normalize("NFKC", text).strip()
    if numbered:
        text = _HEADING_NUMBER.sub("", text)
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def split_sentences(text: str) -> list[str]:
    return [s for s in (part.strip() for part in _SENTENCE_END.split(text)) if s]


def _cut(text: str) -> list[str]:
    """A long block -> pieces of at most MAX_UNITS, cut between sentences (a sentence is never cut)."""
    if units(text) <= MAX_UNITS:
        return [text]
    pieces, current = [], ""
    for sentence in split_sentences(text):
        joined = f"{current} {sentence}".strip() if current else sentence
        if current and units(joined) > MAX_UNITS:
            pieces.append(current)
            current = sentence
        else:
            current = joined
    if current:
        if pieces and units(current) < MIN_UNITS:  # a short tail reads (and ranks) better with its lead-in
            pieces[-1] = f"{pieces[-1]} {current}"
        else:
            pieces.append(current)
    return pieces


class _Headings:
    """Walks the parser's sections in order and says which one a line starts."""

    def __init__(self, sections: list[Section]):
        self.sections = sections
        self.next = 0

    def match(self, line: str, page: int) -> str | None:
        """The title of the section LINE starts (a heading may share its line with the first paragraph)."""
        key = _key(line[:200])
        if not key:
            return None
        if not self.sections:  # the parser found none: a short numbered line is a heading ("2 相关工作")
            return line if _BARE_HEADING.match(line) else None
        # Look a few sections ahead: a heading this page text spells differently from the parser's
        # title must not stop every later one from being found.
        for i in range(self.next, min(self.next + 4, len(self.sections))):
            section = self.sections[i]
            title = _key(section.title, numbered=False)
            if section.page <= page and title and key.startswith(title):
                self.next = i + 1
                return section.title
        return None


def _caption_keys(paper: Paper) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for figure in paper.figures:
        out.setdefault(figure.page, []).append(_key(figure.caption, numbered=False)[:40])
    return out


def paper_passages(paper: Paper) -> list[Passage]:
    """The paper's passages in reading order: paragraphs (page by page) first, then figure captions."""
    headings = _Headings(paper.sections)
    captions = _caption_keys(paper)
    section: str | None = None
    in_references = False
    out: list[Passage] = []
    for page_no, page_text in enumerate(paper.page_texts, start=1):
        count = 0
        buffer: list[str] = []

        def flush(*, final: bool = False) -> None:
            nonlocal count
            text = " ".join(buffer).strip()  # noqa: B023 - flush() runs within the iteration that defines it
            buffer.clear()  # noqa: B023
            if not text or in_references:  # noqa: B023
                return
            if final and units(text) < MIN_UNITS // 2 and out and out[-1].page == page_no \
                    and out[-1].section == section and out[-1].kind == "paragraph":  # noqa: B023
                out[-1] = out[-1].model_copy(update={"text": f"{out[-1].text} {text}"})  # a page's short tail
                return
            for piece in _cut(text):
                out.append(Passage(id=f"p{page_no}-{count}", page=page_no, section=section, text=piece))  # noqa: B023
                count += 1

        for raw in page_text.split("\n"):
            line = raw.strip()
            if not line:
                continue
            references = _REFERENCES.match(line)
            heading = None if references else headings.match(line, page_no)
            if heading is not None or references:
                flush()
                section = heading or line
                in_references = heading is None
                if references or units(_HEADING_NUMBER.sub("", line)) <= units(heading or ""):
                    continue  # a heading alone on its line; otherwise its paragraph follows on the line

            if _CAPTION.match(line) and any(_key(line, numbered=False)[:40] == c for c in captions.get(page_no, [])):
                flush()  # the caption is its own passage below, with the parser's full caption text
                continue
            buffer.append(line)
            size = units(" ".join(buffer))
            # Lines broken inside a sentence (narrow columns, CJK text) join until the sentence ends.
            if size >= MAX_UNITS or (size >= MIN_UNITS and _TERMINAL.search(line)):
                flush()
        flush(final=True)
    for i, figure in enumerate(paper.figures):
        out.append(Passage(id=f"fig-{i}", kind="caption", page=figure.page,
                           section=figure.label, text=figure.caption))
    return out

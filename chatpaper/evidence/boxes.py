"""Where a quote is printed: its rectangles on the page, and a highlighted crop of them.

The page's characters (PyMuPDF `rawdict`, one box per glyph) go through the same comparison key as
the quote, so a match in the key maps back to glyphs; the glyphs' boxes are merged line by line.
This works for Chinese too (a CJK "word" is a whole line; a glyph is not). PyMuPDF is not
thread-safe: callers hold chatpaper.reading.PDF_LOCK around these functions.
"""
from __future__ import annotations

from dataclasses import dataclass

import pymupdf

from chatpaper.evidence.normalise import Keyed, _key_of_char
from chatpaper.evidence.verify import FUZZY_THRESHOLD, match_on_page, quote_key
from chatpaper.models import Box

# Ligatures kept as one glyph ("ﬁ") so each glyph has its own box; the key expands them.
_CHAR_FLAGS = pymupdf.TEXT_PRESERVE_LIGATURES | pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP
# Crops: room around the quote's lines, and the page width kept so the reader sees the context.
CROP_MARGIN = 36.0  # points, about half an inch above and below
CROP_DPI = 110  # sharp enough to read on a screen, small enough to stay a data URL of ~100 KB
HIGHLIGHT = (1.0, 0.85, 0.0)  # the yellow of a highlighter
HIGHLIGHT_OPACITY = 0.35


@dataclass(slots=True)
class PageGlyphs:
    """A page's glyphs as one keyed text: key character -> (line, box)."""

    keyed: Keyed
    lines: tuple[int, ...]  # per key character: its line's running number
    boxes: tuple[Box, ...]  # per key character: its glyph's box


def page_glyphs(page: pymupdf.Page) -> PageGlyphs:
    key: list[str] = []
    index: list[int] = []
    lines: list[int] = []
    boxes: list[Box] = []
    text: list[str] = []
    line_no = 0
    data = page.get_text("rawdict", flags=_CHAR_FLAGS)
    for block in data.get("blocks", []):
        for line in block.get("lines", []):
            line_no += 1
            chars = [ch for span in line.get("spans", []) for ch in span.get("chars", [])]
            for k, ch in enumerate(chars):
                c = ch.get("c", "")
                prev = chars[k - 1]["c"] if k else ""
                nxt = chars[k + 1]["c"] if k + 1 < len(chars) else ""
                part = c if c == "." and prev.isdigit() and nxt.isdigit() else _key_of_char(c)
                for p in part:
                    key.append(p)
                    index.append(len(text))
                    lines.append(line_no)
                    boxes.append(tuple(ch["bbox"]))
                text.append(c)
            text.append("\n")
    return PageGlyphs(Keyed("".join(text), "".join(key), tuple(index)), tuple(lines), tuple(boxes))


def boxes_for(glyphs: PageGlyphs, start: int, end: int) -> list[Box]:
    """The union of the glyph boxes in key[start:end], one rectangle per line."""
    merged: dict[int, list[float]] = {}
    for i in range(start, min(end, len(glyphs.boxes))):
        x0, y0, x1, y1 = glyphs.boxes[i]
        if x1 <= x0 or y1 <= y0:
            continue
        box = merged.setdefault(glyphs.lines[i], [x0, y0, x1, y1])
        box[0], box[1], box[2], box[3] = min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)
    return [tuple(round(v, 1) for v in b) for b in merged.values()]  # type: ignore[misc]


def locate_boxes(page: pymupdf.Page, quote: str, *, glyphs: PageGlyphs | None = None,
                 threshold: float = FUZZY_THRESHOLD) -> list[Box]:
    """The quote's rectangles on `page` (PDF points), or [] when its glyphs do not hold it."""
    glyphs = glyphs or page_glyphs(page)
    hit = match_on_page(quote_key(quote), glyphs.keyed, threshold=threshold, quote_text=quote)
    return boxes_for(glyphs, hit.start, hit.end) if hit else []


def crop_rect(page: pymupdf.Page, boxes: list[Box]) -> pymupdf.Rect:
    """The page's full width, from a margin above the quote's first line to a margin below its last."""
    area = page.rect
    if not boxes:
        return pymupdf.Rect(area.x0, area.y0, area.x1, min(area.y1, area.y0 + area.width * 0.6))
    top = min(b[1] for b in boxes) - CROP_MARGIN
    bottom = max(b[3] for b in boxes) + CROP_MARGIN
    return pymupdf.Rect(area.x0, max(area.y0, top), area.x1, min(area.y1, bottom))


def render_crop(page: pymupdf.Page, boxes: list[Box], *, dpi: int = CROP_DPI) -> bytes:
    """A PNG of the quote's part of the page with the quote highlighted; the document is not changed."""
    clip = crop_rect(page, boxes)
    pix = page.get_pixmap(dpi=dpi, clip=clip, alpha=False)
    scale = dpi / 72.0
    for x0, y0, x1, y1 in boxes:
        # Blend the highlight into the pixels ourselves: annotating would modify the document.
        rect = pymupdf.IRect(int((x0 - clip.x0) * scale), int((y0 - clip.y0) * scale),
                             int((x1 - clip.x0) * scale) + 1, int((y1 - clip.y0) * scale) + 1)
        rect &= pymupdf.IRect(0, 0, pix.width, pix.height)
        if not rect.is_empty:
            _tint(pix, rect)
    return pix.tobytes("png")


def _tint(pix: pymupdf.Pixmap, rect: pymupdf.IRect) -> None:
    """Multiply the rectangle's pixels by the highlight colour (white becomes yellow, ink stays dark)."""
    samples = pix.samples_mv  # writable: changes go straight into the pixmap
    n = pix.n
    factors = [1 - HIGHLIGHT_OPACITY * (1 - c) for c in HIGHLIGHT]
    stride = pix.stride
    tables = [bytes(int(v * f) for v in range(256)) for f in factors]
    for y in range(rect.y0, rect.y1):
        row = y * stride
        for channel in range(3):
            start = row + rect.x0 * n + channel
            stop = row + rect.x1 * n
            samples[start:stop:n] = bytes(samples[start:stop:n]).translate(tables[channel])

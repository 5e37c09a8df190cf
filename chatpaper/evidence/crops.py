"""Highlighted crops of a paper's pages, by file: what the app's evidence panel and the CLI's
`--evidence-images` both show.

    png = render_crop("paper.pdf", 3, evidence.boxes)      # page 3, the quote highlighted
    path = evidence_crop("paper.pdf", evidence, folder=run_dir / "evidence")  # rendered once, then reused

The functions here open the PDF themselves and hold chatpaper.reading.PDF_LOCK while PyMuPDF
works (it is not thread-safe): call them without holding that lock.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import pymupdf

from chatpaper.errors import PdfError
from chatpaper.evidence.boxes import crop_rect, locate_boxes
from chatpaper.evidence.boxes import render_crop as _render_page_crop
from chatpaper.models import Box, Evidence
from chatpaper.reading import PDF_LOCK
from chatpaper.storage import write_atomic

# 1.5 x 72 dpi = 108 dpi: a page's text is sharp on a screen and a crop stays ~100 KB.
CROP_ZOOM = 1.5
# A visitor's PDF may declare a page of any size: a crop never exceeds this many pixels (a whole
# A4 page at zoom 1.5 is 1.1 M; 2 M is 6 MB of RGB), the zoom is lowered instead.
MAX_CROP_PIXELS = 2_000_000
ZOOM_RANGE = (0.5, 4.0)  # below, text is unreadable; above, a crop is a poster
# The CLI writes at most this many crops per paper: a digest has about 30 points of 1-2 quotes.
MAX_CROPS = 64


def render_crop(pdf_path: str | Path, page: int, boxes: Sequence[Box], *, zoom: float = CROP_ZOOM) -> bytes:
    """A PNG of page `page` (1-based) of the PDF: the band around `boxes` (PDF points) with a margin,
    the boxes highlighted; without boxes, the top of the page. The file is not changed.

    Raises PdfError when the file cannot be opened or has no such page.
    """
    zoom = min(max(float(zoom), ZOOM_RANGE[0]), ZOOM_RANGE[1])
    path = Path(pdf_path)
    with PDF_LOCK:
        try:
            doc = pymupdf.open(path)
        except Exception as exc:  # PyMuPDF raises its own, several kinds
            raise PdfError(f"Cannot open {path.name} to show the quote; read the paper again.") from exc
        try:
            if not 1 <= page <= doc.page_count:
                raise PdfError(f"{path.name} has no page {page} (it has {doc.page_count}); cite a page of the paper.")
            pdf_page = doc[page - 1]
            quote_boxes: list[Box] = [tuple(b) for b in boxes]  # type: ignore[misc]
            clip = crop_rect(pdf_page, quote_boxes)
            pixels = clip.width * clip.height * zoom * zoom
            if pixels > MAX_CROP_PIXELS:
                zoom *= (MAX_CROP_PIXELS / pixels) ** 0.5
            return _render_page_crop(pdf_page, quote_boxes, dpi=max(1, int(zoom * 72)))
        finally:
            doc.close()


def locate(pdf_path: str | Path, page: int, quote: str) -> list[Box]:
    """The quote's rectangles on page `page` of the PDF, or [] when that page's glyphs do not hold it."""
    path = Path(pdf_path)
    with PDF_LOCK:
        try:
            doc = pymupdf.open(path)
        except Exception as exc:  # PyMuPDF raises its own, several kinds
            raise PdfError(f"Cannot open {path.name} to show the quote; read the paper again.") from exc
        try:
            return locate_boxes(doc[page - 1], quote) if 1 <= page <= doc.page_count else []
        finally:
            doc.close()


# Part of every crop file's name: a change to how crops look makes new files, never reuses old ones.
CROP_VERSION = "1"


def crop_name(evidence: Evidence) -> str:
    """The file name of an Evidence's crop: its page and a digest of its quote and boxes."""
    ident = json.dumps([CROP_VERSION, evidence.page, evidence.quote, evidence.boxes], ensure_ascii=False)
    return f"p{evidence.page}-{hashlib.sha256(ident.encode()).hexdigest()[:16]}.png"


def evidence_crop(pdf_path: str | Path, evidence: Evidence, *, folder: Path) -> Path:
    """The Evidence's highlighted crop as a PNG in `folder` (one per paper), rendered on the first
    call and read from there after. Boxes the Evidence lacks are located on its page first."""
    target = Path(folder) / crop_name(evidence)
    if target.is_file():
        return target
    boxes = evidence.boxes or (locate(pdf_path, evidence.page, evidence.quote) if evidence.quote.strip() else [])
    return write_atomic(target, render_crop(pdf_path, evidence.page, boxes))

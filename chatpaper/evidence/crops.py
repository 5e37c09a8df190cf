"""Highlighted crops of a paper's pages, by file: what the app's evidence panel and the CLI's
`--evidence-images` both show.

    png = render_crop("paper.pdf", 3, evidence.boxes)      # page 3, the quote highlighted

The functions here open the PDF themselves and hold chatpaper.reading.PDF_LOCK while PyMuPDF
works (it is not thread-safe): call them without holding that lock.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pymupdf

from chatpaper.errors import PdfError
from chatpaper.evidence.boxes import crop_rect, render_crop as _render_page_crop
from chatpaper.models import Box
from chatpaper.reading import PDF_LOCK

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

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
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from chatpaper.errors import PdfError
from chatpaper.evidence.boxes import PageGlyphs, crop_rect, locate_boxes, page_glyphs
from chatpaper.evidence.boxes import render_crop as _render_page_crop
from chatpaper.models import Box, Digest, Evidence, Point
from chatpaper.reading import PDF_LOCK
from chatpaper.storage import ensure_dir, write_atomic

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
    path = Path(pdf_path)
    with PDF_LOCK:
        doc = _open(path)
        try:
            if not 1 <= page <= doc.page_count:
                raise PdfError(f"{path.name} has no page {page} (it has {doc.page_count}); cite a page of the paper.")
            return _render(doc[page - 1], boxes, zoom)
        finally:
            doc.close()


def _open(path: Path) -> pymupdf.Document:
    try:
        return pymupdf.open(path)
    except Exception as exc:  # PyMuPDF raises its own, several kinds
        raise PdfError(f"Cannot open {path.name} to show the quote; read the paper again.") from exc


def _render(pdf_page: pymupdf.Page, boxes: Sequence[Box], zoom: float) -> bytes:
    """The crop of an open page, its pixel count bounded (callers hold PDF_LOCK)."""
    zoom = min(max(float(zoom), ZOOM_RANGE[0]), ZOOM_RANGE[1])
    quote_boxes: list[Box] = [tuple(b) for b in boxes]  # type: ignore[misc]
    clip = crop_rect(pdf_page, quote_boxes)
    pixels = clip.width * clip.height * zoom * zoom
    if pixels > MAX_CROP_PIXELS:
        zoom *= (MAX_CROP_PIXELS / pixels) ** 0.5
    return _render_page_crop(pdf_page, quote_boxes, dpi=max(1, int(zoom * 72)))


def locate(pdf_path: str | Path, page: int, quote: str) -> list[Box]:
    """The quote's rectangles on page `page` of the PDF, or [] when that page's glyphs do not hold it."""
    path = Path(pdf_path)
    with PDF_LOCK:
        doc = _open(path)
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


# --------------------------------------------------------------------------- a whole digest (the CLI)

_POINT_STAGES = ("summary", "methods", "conclusion")


def digest_quotes(digest: Digest) -> Iterator[tuple[str, str, int, Evidence]]:
    """(stage, point name, quote number, evidence) for every quote, in the digest's order.

    The point name is the field, with a list item's 1-based number as Markdown shows it: "key_takeaways-3"."""
    for stage in _POINT_STAGES:
        result = getattr(digest, stage, None)
        if result is None:
            continue
        for name, value in result:
            points = [(name, value)] if isinstance(value, Point) else (
                [(f"{name}-{i}", p) for i, p in enumerate(value, start=1)] if isinstance(value, list) else [])
            for label, point in points:
                if isinstance(point, Point):
                    for k, evidence in enumerate(point.evidence, start=1):
                        yield stage, label, k, evidence


def evidence_image_name(stage: str, point: str, number: int, page: int) -> str:
    """"summary-key_takeaways-3-quote1-p5.png": the stage, the point, which of its quotes, and the page."""
    return f"{stage}-{point}-quote{number}-p{page}.png"


_IMAGE_NAME = re.compile(r"(?:summary|methods|conclusion)-[a-z_]+(?:-\d+)?-quote\d+-p\d+\.png")


@dataclass
class EvidenceImages:
    digest: Digest  # the digest with every found quote's boxes located
    written: list[Path]  # one PNG per located quote, in the digest's order
    skipped: int  # located quotes beyond the limit, not written


def write_evidence_images(digest: Digest, pdf_path: str | Path, folder: Path, *, limit: int = MAX_CROPS,
                          zoom: float = CROP_ZOOM) -> EvidenceImages:
    """Locate the boxes of every quote found in the paper and write one highlighted crop per located
    quote into `folder`, at most `limit` of them. Unverified quotes are not on the page: no crop.

    Raises PdfError when the PDF cannot be opened; the folder is made when a crop is written."""
    path = Path(pdf_path)
    located: dict[int, list[Box]] = {}  # id(evidence) -> boxes
    found = [(stage, label, k, e) for stage, label, k, e in digest_quotes(digest) if e.status != "unverified"]
    images: list[tuple[str, bytes]] = []
    skipped = 0
    with PDF_LOCK:
        doc = _open(path)
        try:
            glyphs: dict[int, PageGlyphs] = {}
            for stage, label, k, evidence in found:
                if not 1 <= evidence.page <= doc.page_count:
                    continue
                page = doc[evidence.page - 1]
                if evidence.page not in glyphs:  # each page's glyphs read once, however many quotes it holds
                    glyphs[evidence.page] = page_glyphs(page)
                boxes = evidence.boxes or locate_boxes(page, evidence.quote, glyphs=glyphs[evidence.page])
                if not boxes:
                    continue
                located[id(evidence)] = boxes
                if len(images) >= limit:
                    skipped += 1
                    continue
                images.append((evidence_image_name(stage, label, k, evidence.page), _render(page, boxes, zoom)))
        finally:
            doc.close()
    written = []
    folder = Path(folder)
    if images:
        ensure_dir(folder)
        written = [write_atomic(folder / name, png) for name, png in images]
    if folder.is_dir():  # crops of an earlier run into the same folder would show quotes this digest lacks
        for stale in folder.glob("*-quote*-p*.png"):
            if _IMAGE_NAME.fullmatch(stale.name) and stale not in written:
                stale.unlink(missing_ok=True)
    return EvidenceImages(_with_boxes(digest, located), written, skipped)


def _with_boxes(digest: Digest, located: dict[int, list[Box]]) -> Digest:
    """A copy of the digest whose located quotes carry their boxes."""
    update = {}
    for stage in _POINT_STAGES:
        result = getattr(digest, stage, None)
        if result is None:
            continue
        fields: dict[str, Point | list[Point]] = {}
        for name, value in result:
            if isinstance(value, Point):
                fields[name] = _point_with_boxes(value, located)
            elif isinstance(value, list) and value and isinstance(value[0], Point):
                fields[name] = [_point_with_boxes(p, located) for p in value]
        update[stage] = result.model_copy(update=fields)
    return digest.model_copy(update=update)


def _point_with_boxes(point: Point, located: dict[int, list[Box]]) -> Point:
    evidence = [e.model_copy(update={"boxes": located[id(e)]}) if id(e) in located else e for e in point.evidence]
    return point.model_copy(update={"evidence": evidence})

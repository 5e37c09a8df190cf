"""Highlighted crops by file (chatpaper.evidence.crops): what the app panel and --evidence-images show."""
from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from chatpaper.errors import PdfError
from chatpaper.evidence.boxes import locate_boxes
from chatpaper.evidence.crops import (
    MAX_CROP_PIXELS,
    crop_name,
    evidence_crop,
    locate,
    render_crop,
)
from chatpaper.models import Evidence

TEXT = ("Our whole process takes 1 minute on one GPU and trains nothing. The results improve by 1.5 points "
        "over the baseline [12, 18], which is not trained either.")


def _write_pdf(path: Path, pages: list[str], *, size: tuple[float, float] = (595, 842)) -> Path:
    doc = pymupdf.open()
    for text in pages:
        page = doc.new_page(width=size[0], height=size[1])
        page.insert_textbox(pymupdf.Rect(72, 72, size[0] - 72, size[1] - 72), text, fontsize=11, fontname="helv")
    doc.save(path)
    return path


def _boxes(path: Path, page: int, quote: str):
    with pymupdf.open(path) as doc:
        return locate_boxes(doc[page - 1], quote)


def test_crop_of_a_file_highlights_the_quote_on_the_page_asked(tmp_path):
    pdf = _write_pdf(tmp_path / "p.pdf", ["Introduction only.", TEXT])
    boxes = _boxes(pdf, 2, "takes 1 minute on one GPU and trains nothing")
    png = render_crop(pdf, 2, boxes, zoom=2.0)
    pix = pymupdf.Pixmap(png)
    assert pix.width == pytest.approx(595 * 2, abs=2)  # the page's full width at the zoom asked
    x0, y0, _, _ = boxes[0]
    top = max(0.0, min(b[1] for b in boxes) - 36.0)
    inside = pix.pixel(int(x0 * 2) + 1, int((y0 - top) * 2) + 1)
    assert inside[2] < 200 and inside[0] > 200  # yellow: blue lowered, red kept
    assert pix.pixel(pix.width - 3, 2) == (255, 255, 255)
    # the file is unchanged: no annotation was written into it
    with pymupdf.open(pdf) as doc:
        assert not list(doc[1].annots())


def test_crop_without_boxes_is_the_top_of_the_page(tmp_path):
    pdf = _write_pdf(tmp_path / "p.pdf", [TEXT])
    pix = pymupdf.Pixmap(render_crop(pdf, 1, []))
    assert 0 < pix.height < pix.width


def test_crop_of_a_huge_page_stays_bounded(tmp_path):
    pdf = _write_pdf(tmp_path / "big.pdf", [TEXT], size=(5000, 5000))
    boxes = [(72.0, 72.0, 4900.0, 4900.0)]  # a "quote" covering the whole page
    pix = pymupdf.Pixmap(render_crop(pdf, 1, boxes, zoom=4.0))
    assert pix.width * pix.height <= MAX_CROP_PIXELS * 1.01


def test_a_page_outside_the_paper_or_a_broken_file_is_a_pdf_error(tmp_path):
    pdf = _write_pdf(tmp_path / "p.pdf", [TEXT])
    with pytest.raises(PdfError, match="no page 3"):
        render_crop(pdf, 3, [])
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf at all")
    with pytest.raises(PdfError, match=r"Cannot open bad\.pdf"):
        render_crop(bad, 1, [])


def _yellow_pixels(pix: pymupdf.Pixmap) -> int:
    """Pixels whose blue is well below their red: the highlight (ink and paper are grey)."""
    return sum(1 for x in range(0, pix.width, 3) for y in range(0, pix.height, 3)
               if (p := pix.pixel(x, y))[0] - p[2] > 40)


def test_evidence_crop_is_rendered_once_per_quote_with_boxes_located_when_missing(tmp_path):
    pdf = _write_pdf(tmp_path / "p.pdf", ["Introduction only.", TEXT])
    before = pdf.read_bytes()
    folder = tmp_path / "evidence"
    evidence = Evidence(page=2, quote="takes 1 minute on one GPU and trains nothing", status="verified")
    first = evidence_crop(pdf, evidence, folder=folder)
    assert first.parent == folder and first.name == crop_name(evidence)
    assert _yellow_pixels(pymupdf.Pixmap(first.read_bytes()))  # located, then highlighted
    stamp = first.stat().st_mtime_ns
    assert evidence_crop(pdf, evidence, folder=folder) == first and first.stat().st_mtime_ns == stamp
    other = evidence_crop(pdf, evidence.model_copy(update={"quote": "which is not trained either"}), folder=folder)
    assert other != first and len(list(folder.iterdir())) == 2
    assert pdf.read_bytes() == before


def test_evidence_crop_of_a_quote_not_on_its_page_is_the_page_top_unhighlighted(tmp_path):
    pdf = _write_pdf(tmp_path / "p.pdf", [TEXT])
    missing = "A sentence printed nowhere in this paper at all, not even close."
    assert locate(pdf, 1, missing) == [] and locate(pdf, 7, TEXT) == []
    pix = pymupdf.Pixmap(evidence_crop(pdf, Evidence(page=1, quote=missing), folder=tmp_path).read_bytes())
    assert 0 < pix.height < pix.width and not _yellow_pixels(pix)

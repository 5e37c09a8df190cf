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


# --------------------------------------------------------------------------- a digest's crops (the CLI's)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "chatpaper-example.pdf"


def _offline_digest(pdf: Path, tmp_path: Path):
    from chatpaper.chain import summarize
    from chatpaper.llm.registry import get_provider
    from chatpaper.reading import read_paper
    from chatpaper.settings import Settings

    settings = Settings(cache_dir=tmp_path / "cache")
    paper = read_paper(pdf, out_dir=tmp_path / "parse", settings=settings)
    return summarize(paper, provider=get_provider("offline", settings=settings), settings=settings, cache=False)


def test_every_found_quote_of_a_digest_gets_its_crop_and_its_boxes(tmp_path):
    from chatpaper.evidence.crops import digest_quotes, write_evidence_images

    digest = _offline_digest(EXAMPLE, tmp_path)
    found = [q for q in digest_quotes(digest) if q[3].status != "unverified"]
    assert found and all(not q[3].boxes for q in found)  # the chain does not open the PDF
    images = write_evidence_images(digest, EXAMPLE, tmp_path / "evidence")
    assert images.skipped == 0 and len(images.written) == len(found)
    located = list(digest_quotes(images.digest))
    for path, (stage, point, k, evidence) in zip(images.written, located, strict=True):
        assert path.name == f"{stage}-{point}-quote{k}-p{evidence.page}.png"
        assert evidence.boxes  # digest.json carries where each quote is printed
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert digest.methods.steps[0].evidence[0].boxes == []  # the digest given is not changed


def test_crops_are_bounded_unverified_quotes_get_none_and_old_crops_go(tmp_path):
    from chatpaper.evidence.crops import write_evidence_images
    from chatpaper.models import Evidence

    digest = _offline_digest(EXAMPLE, tmp_path)
    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "summary-key_takeaways-9-quote2-p7.png").write_bytes(b"old run")
    (folder / "notes.png").write_bytes(b"the reader's own file")
    step = digest.methods.steps[0]
    invented = Evidence(page=1, quote="A sentence the paper never prints anywhere at all.", status="unverified")
    steps = [step.model_copy(update={"evidence": [invented, *step.evidence]}), *digest.methods.steps[1:]]
    digest = digest.model_copy(update={"methods": digest.methods.model_copy(update={"steps": steps})})
    images = write_evidence_images(digest, EXAMPLE, folder, limit=3)
    assert len(images.written) == 3 and images.skipped > 0
    assert sorted(p.name for p in folder.iterdir()) == sorted([*(p.name for p in images.written), "notes.png"])
    assert not any("steps-1-quote1" in p.name for p in images.written)  # the invented quote has no crop
    assert images.digest.methods.steps[0].evidence[0].boxes == []


def test_cli_summarize_with_evidence_images_writes_them_under_evidence(tmp_path):
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["CHATPAPER_CACHE_DIR"] = str(tmp_path / "cache")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "chatpaper", "summarize", str(EXAMPLE), "--provider", "offline",
                           "--out", str(out), "--evidence-images"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    crops = sorted((out / "evidence").glob("*.png"))
    assert crops and f"{len(crops)} evidence images" in proc.stderr
    data = json.loads((out / "digest.json").read_text())
    steps = data["methods"]["steps"]
    assert (out / "evidence" / f"methods-steps-1-quote1-p{steps[0]['evidence'][0]['page']}.png") in crops
    assert steps[0]["evidence"][0]["boxes"]
    plain = tmp_path / "plain"
    proc = subprocess.run([sys.executable, "-m", "chatpaper", "summarize", str(EXAMPLE), "--provider", "offline",
                           "--out", str(plain)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and not (plain / "evidence").exists()

"""Bounded cost per paper: hostile PDFs (a 3 KB file asking for a 1 GB pixmap per figure) are read with
their text intact, and their figures cost no more than the caps in Settings allow, which the paper's
warnings name."""
from __future__ import annotations

import struct
from itertools import count
from pathlib import Path

import pytest

from chatpaper.pdf import figures as figures_module
from chatpaper.pdf import parse_pdf
from chatpaper.settings import Settings
from tests.pdf_factory import huge_figure_pdf

A0_WIDTH = 2384.0  # points: a square page this wide is within the default page-area cap


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_a_huge_page_keeps_its_text_and_caption_but_renders_no_figure(tmp_path):
    data = huge_figure_pdf(pages=1)
    assert len(data) < 10_000  # the attack is a tiny file
    paper = parse_pdf(data, out_dir=tmp_path, settings=Settings())
    assert "A Very Large Page 1" in paper.page_texts[0]
    assert [(f.label, f.page, f.image) for f in paper.figures] == [("Figure 1", 1, None)]
    assert paper.figures[0].caption.startswith("Figure 1: Accuracy per epoch")
    assert not list((tmp_path / "figures").glob("*.png"))
    [warning] = [w for w in paper.warnings if "CHATPAPER_MAX_PAGE_AREA" in w]
    assert warning.startswith("Page 1 is 14400 × 14400 pt") and "caption only" in warning


def test_four_huge_pages_give_one_warning_naming_them(tmp_path):
    paper = parse_pdf(huge_figure_pdf(pages=4), out_dir=tmp_path, settings=Settings())
    assert paper.pages == 4
    assert all(f"A Very Large Page {n}" in paper.page_texts[n - 1] for n in range(1, 5))
    assert [(f.label, f.image) for f in paper.figures] == [(f"Figure {n}", None) for n in range(1, 5)]
    [warning] = [w for w in paper.warnings if "CHATPAPER_MAX_PAGE_AREA" in w]
    assert warning.startswith("Pages 1-4 are over")


def test_the_page_area_cap_is_a_setting(tmp_path):
    paper = parse_pdf(huge_figure_pdf(pages=1, side=A0_WIDTH), out_dir=tmp_path,
                      settings=Settings(max_page_area=A0_WIDTH * A0_WIDTH - 1))
    assert paper.figures[0].image is None
    assert any("CHATPAPER_MAX_PAGE_AREA" in w for w in paper.warnings)


def test_a_crop_over_the_pixel_cap_is_rendered_at_a_lower_dpi_and_says_so(tmp_path):
    paper = parse_pdf(huge_figure_pdf(pages=1, side=A0_WIDTH), out_dir=tmp_path, settings=Settings())
    [figure] = paper.figures
    assert figure.image is not None
    width, height = _png_size(tmp_path / figure.image)
    assert width * height <= Settings().max_figure_pixels
    x0, _y0, x1, _y1 = figure.bbox
    dpi = width / ((x1 - x0) / 72)
    assert 100 < dpi < 149  # scaled down from 150 dpi, and no further than the cap needs
    [warning] = [w for w in paper.warnings if "CHATPAPER_MAX_FIGURE_PIXELS" in w]
    assert warning.startswith("Figure 1 was rendered at") and "rather than 150" in warning


def test_the_pixel_cap_is_a_setting(tmp_path):
    paper = parse_pdf(huge_figure_pdf(pages=1, side=612), out_dir=tmp_path,
                      settings=Settings(max_figure_pixels=40_000))
    width, height = _png_size(tmp_path / paper.figures[0].image)
    assert width * height <= 40_000 and width > 100


def test_an_ordinary_page_is_not_touched_by_the_caps(tmp_path):
    paper = parse_pdf(huge_figure_pdf(pages=1, side=612), out_dir=tmp_path, settings=Settings())
    width, _ = _png_size(tmp_path / paper.figures[0].image)
    x0, _, x1, _ = paper.figures[0].bbox
    assert width == pytest.approx((x1 - x0) / 72 * 150, abs=2)
    assert paper.warnings == []


def test_figures_after_the_time_budget_keep_their_caption_only(tmp_path, monkeypatch):
    ticks = count()
    monkeypatch.setattr(figures_module, "_clock", lambda: float(next(ticks)))  # one second per look
    paper = parse_pdf(huge_figure_pdf(pages=4, side=612), out_dir=tmp_path,
                      settings=Settings(figure_time_budget_seconds=5.5))
    images = [f.image for f in paper.figures]
    assert [f.label for f in paper.figures] == [f"Figure {n}" for n in range(1, 5)]
    assert images[0] is not None and images[-1] is None
    assert images == sorted(images, key=lambda i: i is None)  # rendered in order until the budget ran out
    assert all(f"A Very Large Page {n}" in paper.page_texts[n - 1] for n in range(1, 5))  # the text is complete
    [warning] = [w for w in paper.warnings if "CHATPAPER_FIGURE_TIME_BUDGET_SECONDS" in w]
    assert "got no image" in warning


def test_a_spent_budget_stops_looking_for_figures(tmp_path):
    paper = parse_pdf(huge_figure_pdf(pages=3, side=612), out_dir=tmp_path,
                      settings=Settings(figure_time_budget_seconds=0))
    assert paper.figures == [] and paper.pages == 3
    assert any(w.startswith("Figures were looked for on 0 of 3 pages only") for w in paper.warnings)


def test_caps_refuse_nonsense_values():
    with pytest.raises(ValueError):
        Settings(max_figure_pixels=0)
    with pytest.raises(ValueError):
        Settings(figure_time_budget_seconds=-1)

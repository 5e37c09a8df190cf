"""Captions printed inside a figure's image, read by OCR (PyMuPDF's Tesseract, the system's language data).

Generated papers: a chart whose caption is drawn into the same picture (as a scanned journal or a
CNKI copy prints it) is placed as one raster on a page whose text cites it. The OCR tests need
Tesseract's Chinese and English data (`apt-get install tesseract-ocr-chi-sim tesseract-ocr-eng`,
which .ci/run installs) and skip with that reason elsewhere.
"""
from __future__ import annotations

import pymupdf
import pytest

from chatpaper.pdf import ocr as ocr_module
from chatpaper.pdf import parse_pdf
from chatpaper.pdf.ocr import OcrReader, ocr_reader
from chatpaper.settings import Settings

_READER = ocr_reader(True, None, "zh")
needs_tesseract = pytest.mark.skipif(
    _READER is None or _READER.language != "chi_sim+eng",
    reason="Tesseract's language data is not installed (apt-get install tesseract-ocr-chi-sim tesseract-ocr-eng)")

ZH_BODY = ("实验在三个公开数据集上进行。如图1所示，本文方法的误差随迭代次数稳定下降，"
           "并且在所有设置下均优于对比方法。表1列出了各方法的运行时间。")
EN_BODY = ("We train for ten epochs on each dataset. Figure 2 shows that the error falls steadily with "
           "the number of iterations and stays below the baselines in every setting.")


def _picture(caption: str, font: str) -> bytes:
    """A bar chart with its caption drawn under it, flattened into one grey PNG."""
    src = pymupdf.open()
    page = src.new_page(width=320, height=240)
    page.draw_line((40, 20), (40, 180), color=(0, 0, 0), width=1.2)
    page.draw_line((40, 180), (300, 180), color=(0, 0, 0), width=1.2)
    for k, height in enumerate((60, 110, 90, 150, 130)):
        x = 60 + 48 * k
        page.draw_rect(pymupdf.Rect(x, 180 - height, x + 28, 180), color=(0, 0, 0), fill=(0.35, 0.35, 0.35))
    width = pymupdf.get_text_length(caption, fontname=font, fontsize=12) if font != "china-s" else 12 * len(caption)
    page.insert_text(((320 - width) / 2, 215), caption, fontname=font, fontsize=12)
    return page.get_pixmap(dpi=200, colorspace=pymupdf.csGRAY).tobytes("png")


def _paper(tmp_path, body: str, picture: bytes, font: str, name: str = "paper.pdf"):
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_textbox(pymupdf.Rect(60, 60, 535, 90), "一种测试论文的标题" if font == "china-s" else "A Test Paper",
                        fontname=font, fontsize=16, align=1)
    page.insert_textbox(pymupdf.Rect(60, 110, 535, 330), body * 4, fontname=font, fontsize=10.5)
    page.insert_image(pymupdf.Rect(137, 360, 457, 600), stream=picture)
    page.insert_textbox(pymupdf.Rect(60, 630, 535, 780), body * 3, fontname=font, fontsize=10.5)
    path = tmp_path / name
    doc.save(path)
    return path


def _parse(tmp_path, path, **settings):
    return parse_pdf(path, out_dir=tmp_path / "out", settings=Settings(cache_dir=tmp_path / "cache", **settings))


@needs_tesseract
def test_a_cited_chinese_figure_whose_caption_is_in_its_image_is_found_by_ocr(tmp_path):
    path = _paper(tmp_path, ZH_BODY, _picture("图1 误差随迭代次数的变化", "china-s"), "china-s")
    paper = _parse(tmp_path, path)
    assert [(f.label, f.page, f.kind, f.caption_source) for f in paper.figures] == [("Figure 1", 1, "raster", "ocr")]
    figure = paper.figures[0]
    assert figure.caption.startswith("图1") and "迭代次数" in figure.caption
    assert " " not in figure.caption[3:]  # Tesseract's spaces between ideographs are gone
    assert (tmp_path / "out" / figure.image).read_bytes().startswith(b"\x89PNG")
    x0, y0, x1, y1 = figure.bbox  # the image's box, where its caption is too
    assert x0 >= 130 and x1 <= 465 and y0 >= 350 and y1 <= 610
    assert any("read by OCR" in w and "Figure 1" in w for w in paper.warnings)


@needs_tesseract
def test_an_english_caption_in_an_image_is_found_too(tmp_path):
    path = _paper(tmp_path, EN_BODY, _picture("Figure 2: Error over iterations", "helv"), "helv")
    paper = _parse(tmp_path, path)
    assert [(f.label, f.caption_source) for f in paper.figures] == [("Figure 2", "ocr")]
    assert paper.figures[0].caption.startswith("Figure 2") and "iterations" in paper.figures[0].caption


@needs_tesseract
def test_a_label_in_a_picture_that_the_text_never_cites_makes_no_figure(tmp_path):
    body = ZH_BODY.replace("如图1所示，", "")
    paper = _parse(tmp_path, _paper(tmp_path, body, _picture("图1 误差随迭代次数的变化", "china-s"), "china-s"))
    assert paper.figures == []


@needs_tesseract
def test_ocr_switched_off_reads_no_picture(tmp_path):
    path = _paper(tmp_path, ZH_BODY, _picture("图1 误差随迭代次数的变化", "china-s"), "china-s")
    assert _parse(tmp_path, path, ocr=False).figures == []


def test_a_caption_in_the_text_layer_needs_no_ocr(tmp_path, monkeypatch):
    def refuse(self, page, clip):
        raise AssertionError("OCR was run for a figure whose caption is text")

    monkeypatch.setattr(OcrReader, "lines", refuse)
    monkeypatch.setattr(ocr_module, "ocr_reader", lambda *a: OcrReader("/nowhere", "chi_sim+eng"))
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_textbox(pymupdf.Rect(60, 110, 535, 330), ZH_BODY * 4, fontname="china-s", fontsize=10.5)
    page.insert_image(pymupdf.Rect(137, 360, 457, 560), stream=_picture("", "helv"))
    page.insert_text((230, 580), "图1 误差随迭代次数的变化", fontname="china-s", fontsize=9)
    page.insert_textbox(pymupdf.Rect(60, 630, 535, 780), ZH_BODY * 3, fontname="china-s", fontsize=10.5)
    doc.save(tmp_path / "text.pdf")
    paper = _parse(tmp_path, tmp_path / "text.pdf")
    assert [(f.label, f.caption_source) for f in paper.figures] == [("Figure 1", "text")]


def test_the_rows_of_text_at_an_images_foot_are_found_apart_from_the_artwork():
    doc = pymupdf.open()
    page = doc.new_page(width=400, height=400)
    page.insert_image(pymupdf.Rect(40, 40, 360, 280), stream=_picture("Figure 3: Two rows of caption", "helv"))
    foot = pymupdf.Rect(40, 120, 360, 280)
    strip = ocr_module._text_rows(page, foot)
    assert strip is not None
    # the picture is 320 x 240 pt drawn at 320 x 240: the caption line sits near y = 40 + 215, the bars end at 220
    assert 225 <= strip.y0 <= 250 and 255 <= strip.y1 <= 268, strip
    assert ocr_module._text_rows(page, pymupdf.Rect(40, 40, 360, 200)) is None  # only artwork: no text rows


def test_the_language_data_decides_what_ocr_reads(tmp_path):
    folder = tmp_path / "tessdata"
    folder.mkdir()
    assert ocr_reader(True, folder, "zh") is None  # a folder without data: no OCR
    (folder / "eng.traineddata").write_bytes(b"")
    assert ocr_reader(True, folder, "zh") == OcrReader(str(folder), "eng")
    (folder / "chi_sim.traineddata").write_bytes(b"")
    assert ocr_reader(True, folder, "zh") == OcrReader(str(folder), "chi_sim+eng")
    assert ocr_reader(True, folder, "en") == OcrReader(str(folder), "eng")
    assert ocr_reader(False, folder, "zh") is None
    assert ocr_reader(True, tmp_path / "missing", "zh") is None


def test_tesseracts_own_variable_names_the_folder_and_ours_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path / "theirs"))
    assert Settings().tessdata == tmp_path / "theirs"
    monkeypatch.setenv("CHATPAPER_TESSDATA", str(tmp_path / "ours"))
    assert Settings().tessdata == tmp_path / "ours"


def _pages(tmp_path, pictures_on: dict[int, int], pages: int = 6):
    """A paper that cites 图1 on page 1 only, with `pictures_on[page]` pictures (no caption text) on pages."""
    doc = pymupdf.open()
    picture = _picture("图1 误差随迭代次数的变化", "china-s")
    for number in range(1, pages + 1):
        page = doc.new_page(width=595, height=842)
        body = ZH_BODY if number == 1 else ZH_BODY.replace("如图1所示，", "")
        page.insert_textbox(pymupdf.Rect(60, 60, 535, 200), body * 2, fontname="china-s", fontsize=10.5)
        for k in range(pictures_on.get(number, 0)):
            x, y = 60 + 160 * (k % 3), 210 + 140 * (k // 3)  # each over 15% of the page's width and height
            page.insert_image(pymupdf.Rect(x, y, x + 150, y + 130), stream=picture, keep_proportion=False)
    doc.save(tmp_path / "pages.pdf")
    return tmp_path / "pages.pdf"


def _count_reads(monkeypatch) -> list[int]:
    calls: list[int] = []

    def foot_lines(self, page, clip):
        calls.append(page.number + 1)
        return []

    monkeypatch.setattr(OcrReader, "foot_lines", foot_lines)
    monkeypatch.setattr(ocr_module, "ocr_reader", lambda *a: OcrReader("/nowhere", "chi_sim+eng"))
    return calls


def test_pictures_are_looked_for_only_near_the_first_citation(tmp_path, monkeypatch):
    calls = _count_reads(monkeypatch)
    _parse(tmp_path, _pages(tmp_path, {2: 1, 3: 1, 4: 1, 6: 1}))
    assert calls == [2, 3]  # cited on page 1: pages 1 to 3; pages 4 and 6 are never read


def test_ocr_reads_a_bounded_number_of_pictures(tmp_path, monkeypatch):
    from chatpaper.pdf import figures

    calls = _count_reads(monkeypatch)
    _parse(tmp_path, _pages(tmp_path, {1: 3, 2: 12, 3: 12}))
    assert len(calls) == figures._OCR_MAX_IMAGES


def _huge_page():
    """A hostile PDF's page: 6,000 pt wide, with a picture as wide whose foot holds a caption."""
    doc = pymupdf.open()
    page = doc.new_page(width=6000, height=700)
    page.insert_image(pymupdf.Rect(0, 400, 6000, 640), stream=_picture("图1 误差随迭代次数的变化", "china-s"),
                      keep_proportion=False)  # stretched sideways only: its rows keep their height
    return doc, page


def _counting_renders(monkeypatch) -> list[int]:
    sizes: list[int] = []
    render = pymupdf.Page.get_pixmap

    def counted(self, *args, **kwargs):
        pix = render(self, *args, **kwargs)
        sizes.append(pix.width * pix.height)
        return pix

    monkeypatch.setattr(pymupdf.Page, "get_pixmap", counted)
    return sizes


def test_the_foot_of_a_huge_picture_is_profiled_within_the_pixel_bound(monkeypatch):
    sizes = _counting_renders(monkeypatch)
    _doc, page = _huge_page()  # the document stays open while its page is read
    assert ocr_module._text_rows(page, pymupdf.Rect(0, 480, 6000, 640)) is not None  # still finds the caption row
    assert sizes and max(sizes) <= ocr_module.OCR_MAX_PIXELS
    # at the usual dpi it would have been far over
    assert (160 * 6000 / 72 / 72) * ocr_module._PROFILE_DPI ** 2 > 2 * ocr_module.OCR_MAX_PIXELS


@needs_tesseract
def test_a_huge_picture_is_read_within_the_pixel_bound(monkeypatch):
    sizes = _counting_renders(monkeypatch)
    _doc, page = _huge_page()  # the document stays open while its page is read
    assert _READER is not None
    lines = _READER.foot_lines(page, pymupdf.Rect(0, 480, 6000, 640))  # Tesseract takes it: no error
    assert len(sizes) >= 2 and max(sizes) <= ocr_module.OCR_MAX_PIXELS  # the profile, then the strip read
    assert isinstance(lines, list)


def test_ocr_stops_when_its_time_runs_out(tmp_path, monkeypatch):
    from chatpaper.pdf import figures

    now = [0.0]
    monkeypatch.setattr(figures, "_clock", lambda: now[0])
    calls = _count_reads(monkeypatch)
    slow = OcrReader.foot_lines

    def four_seconds_each(self, page, clip):
        now[0] += 4.0
        return slow(self, page, clip)

    monkeypatch.setattr(OcrReader, "foot_lines", four_seconds_each)
    paper = _parse(tmp_path, _pages(tmp_path, {2: 12}))
    assert len(calls) == 3  # at 0, 4 and 8 s; at 12 s the 10 s allowance is spent
    assert paper.pages == 6 and paper.figures == []  # the rest of the paper is whole

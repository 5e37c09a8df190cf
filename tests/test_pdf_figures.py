"""Figure extraction: generated pages for each layout rule, then the real corpus against its ground truth."""
from __future__ import annotations

import re
from pathlib import Path

import pymupdf
import pytest

from chatpaper.pdf.figures import extract_figures
from tests.conftest import corpus_pdf, needs_corpus

BODY = ("Deep networks are trained with stochastic gradient methods on large data sets, and the choice of "
        "the learning rate matters a great deal for how quickly and how well they converge in practice. ") * 3


def _plot(page: pymupdf.Page, rect: pymupdf.Rect) -> None:
    """A small line chart: axes, ticks and a polyline, all vector paths."""
    shape = page.new_shape()
    shape.draw_line(rect.bl, rect.br)
    shape.draw_line(rect.bl, rect.tl)
    for i in range(1, 6):
        x = rect.x0 + i * rect.width / 6
        shape.draw_line((x, rect.y1), (x, rect.y1 + 3))
    points = [(rect.x0 + i * rect.width / 20, rect.y1 - (i * i % 17) * rect.height / 20) for i in range(21)]
    shape.draw_polyline(points)
    shape.finish(color=(0, 0, 1), width=1, closePath=False)
    shape.commit()
    page.insert_text((rect.x0 + rect.width / 2 - 10, rect.y1 + 14), "Epoch", fontsize=7)


def _raster(page: pymupdf.Page, rect: pymupdf.Rect) -> None:
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 120, 80), False)
    pix.set_rect(pix.irect, (200, 60, 60))
    pix.set_rect(pymupdf.IRect(20, 20, 100, 60), (40, 160, 40))
    page.insert_image(rect, pixmap=pix)


def _write(page: pymupdf.Page, rect: pymupdf.Rect, text: str, size: float = 10) -> None:
    assert page.insert_textbox(rect, text, fontsize=size) >= 0, "text box too small"


def _figures(doc: pymupdf.Document, tmp_path: Path) -> list:
    return extract_figures(doc, tmp_path, dpi=150)


def test_vector_plot_with_caption_below(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page()
    _write(page, pymupdf.Rect(72, 72, 540, 170), BODY)
    _plot(page, pymupdf.Rect(150, 200, 450, 380))
    _write(page, pymupdf.Rect(72, 410, 540, 450), "Figure 1: Test error of the four methods on MNIST over "
           "fifty epochs of training with the same network.", 9)
    _write(page, pymupdf.Rect(72, 470, 540, 570), BODY)

    [fig] = _figures(doc, tmp_path)

    assert (fig.label, fig.page, fig.kind) == ("Figure 1", 1, "vector")
    assert fig.caption == ("Figure 1: Test error of the four methods on MNIST over fifty epochs of training "
                           "with the same network.")
    x0, y0, x1, y1 = fig.bbox
    assert x0 <= 150 and x1 >= 450 and y0 <= 200 and y1 >= 420, "plot and caption inside the crop"
    assert y0 > 150 and y1 < 470, "no body text above or below in the crop"
    assert fig.image == "figures/p1-figure-1.png"
    pix = pymupdf.Pixmap(str(tmp_path / fig.image))
    assert pix.width >= (x1 - x0) * 150 / 72 - 2 and pix.height >= (y1 - y0) * 150 / 72 - 2


def test_raster_image_with_fig_dot_caption_is_normalised(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page()
    _write(page, pymupdf.Rect(72, 72, 540, 170), BODY)
    _raster(page, pymupdf.Rect(200, 200, 400, 330))
    _write(page, pymupdf.Rect(72, 345, 540, 380), "Fig. 2. Samples from the data set, one class per row.", 9)

    [fig] = _figures(doc, tmp_path)

    assert (fig.label, fig.kind) == ("Figure 2", "raster")
    assert fig.caption.startswith("Fig. 2. Samples from the data set")
    assert fig.bbox[1] <= 200 and fig.bbox[3] >= 355
    assert (tmp_path / "figures" / "p1-figure-2.png").stat().st_size > 0


def test_caption_above_its_figure(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page()
    _write(page, pymupdf.Rect(72, 72, 540, 170), BODY)
    _write(page, pymupdf.Rect(72, 190, 540, 215), "Figure 3: The architecture, drawn above its plot.", 9)
    _plot(page, pymupdf.Rect(150, 225, 450, 380))
    _write(page, pymupdf.Rect(72, 420, 540, 520), BODY)

    [fig] = _figures(doc, tmp_path)

    assert fig.label == "Figure 3"
    assert fig.bbox[1] <= 195 and fig.bbox[3] >= 380 and fig.bbox[3] < 420


def test_table_and_body_references_are_not_figures(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page()
    _write(page, pymupdf.Rect(72, 72, 540, 110), "Figure 3 shows that the error falls quickly, and as shown in "
           "Figure 4, it stays low after the tenth epoch of training.")
    _write(page, pymupdf.Rect(72, 130, 540, 150), "Table 1: MNIST test error for several learning rates.", 9)
    shape = page.new_shape()
    for i in range(5):  # a ruled grid of text: a table
        shape.draw_line((100, 160 + 20 * i), (500, 160 + 20 * i))
    shape.finish(color=(0, 0, 0), width=0.5)
    shape.commit()
    for i in range(4):
        for j, cell in enumerate(("SGD", "2.26%", "89.68%", "43.76%")):
            page.insert_text((110 + 100 * j, 174 + 20 * i), cell, fontsize=9)

    assert _figures(doc, tmp_path) == []


def test_a_reference_wrapped_to_the_start_of_a_line_is_not_a_caption(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page()
    _write(page, pymupdf.Rect(72, 60, 540, 80), "Figure 1: Training error, its caption above the plot.", 9)
    _plot(page, pymupdf.Rect(150, 90, 450, 220))
    _write(page, pymupdf.Rect(72, 245, 540, 305), "We train the network for fifty epochs with the schedule of\n"
           "Figure 2. The error falls quickly after the tenth epoch and then stays low.")
    page = doc.new_page()
    _plot(page, pymupdf.Rect(150, 80, 450, 220))
    _write(page, pymupdf.Rect(72, 245, 540, 265), "Figure 2: Test error.", 9)

    assert [(f.label, f.page) for f in _figures(doc, tmp_path)] == [("Figure 1", 1), ("Figure 2", 2)]


def test_two_column_figure_stays_in_its_column(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page()
    left, right = pymupdf.Rect(54, 72, 298, 720), pymupdf.Rect(314, 72, 558, 720)
    _write(page, pymupdf.Rect(left.x0, 72, left.x1, 400), BODY + BODY)
    _write(page, pymupdf.Rect(left.x0, 420, left.x1, 740), BODY + BODY)
    _plot(page, pymupdf.Rect(330, 80, 540, 220))
    _write(page, pymupdf.Rect(right.x0, 245, right.x1, 280), "Fig. 4. Frame accuracy on the speech data set "
           "with one hundred replicas.", 9)
    _write(page, pymupdf.Rect(right.x0, 300, right.x1, 640), BODY + BODY)

    [fig] = _figures(doc, tmp_path)

    assert fig.label == "Figure 4"
    x0, y0, x1, y1 = fig.bbox
    assert x0 >= 300 and x1 <= 560, "the left column's text stays out"
    assert y0 <= 80 and 255 <= y1 < 300


def test_two_column_page_figure_spanning_both_columns_with_a_short_caption(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page()
    _write(page, pymupdf.Rect(54, 72, 298, 300), BODY)
    _write(page, pymupdf.Rect(314, 72, 558, 300), BODY)
    _plot(page, pymupdf.Rect(80, 320, 530, 480))
    _write(page, pymupdf.Rect(54, 505, 298, 525), "Figure 6: Reflection ratios.", 9)
    _write(page, pymupdf.Rect(54, 560, 298, 770), BODY)
    _write(page, pymupdf.Rect(314, 560, 558, 770), BODY)

    [fig] = _figures(doc, tmp_path)

    assert fig.bbox[0] <= 80 and fig.bbox[2] >= 530, "the whole plot, not the caption's column"


def test_side_by_side_figures_are_separate(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page()
    _write(page, pymupdf.Rect(72, 72, 540, 170), BODY)
    _plot(page, pymupdf.Rect(90, 200, 280, 330))
    _plot(page, pymupdf.Rect(330, 200, 520, 330))
    _write(page, pymupdf.Rect(130, 350, 260, 370), "Figure 1: Hinge loss.", 9)
    _write(page, pymupdf.Rect(370, 350, 500, 370), "Figure 2: Logistic loss.", 9)

    figs = _figures(doc, tmp_path)

    assert [f.label for f in figs] == ["Figure 1", "Figure 2"]
    assert figs[0].bbox[2] < 310 < figs[1].bbox[0], "each crop holds only its own plot"


def test_stacked_figures_each_get_their_own_plot(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page()
    _plot(page, pymupdf.Rect(150, 80, 450, 220))
    _write(page, pymupdf.Rect(72, 240, 540, 260), "Figure 1: The first plot.", 9)
    _plot(page, pymupdf.Rect(150, 280, 450, 420))
    page.insert_text((72, 450), "Figure 2", fontsize=9, fontname="hebo")  # bold label, no punctuation
    page.insert_text((112, 450), "Overview of the second plot.", fontsize=9)

    one, two = _figures(doc, tmp_path)

    assert (one.label, two.label) == ("Figure 1", "Figure 2")
    assert one.bbox[1] <= 80 and one.bbox[3] < 275, "the first crop stops above the second plot"
    assert 225 < two.bbox[1] <= 280 and two.bbox[3] >= 445
    assert two.caption == "Figure 2 Overview of the second plot."


def test_long_subfigure_captions_stay_inside_the_figure(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page()
    _write(page, pymupdf.Rect(72, 55, 540, 145), BODY)
    _plot(page, pymupdf.Rect(150, 160, 450, 260))
    _write(page, pymupdf.Rect(72, 285, 540, 320), "(a) Training error of every model over fifty epochs, with the "
           "learning rate schedule of the first experiment and no dropout at all.")
    _plot(page, pymupdf.Rect(150, 330, 450, 430))
    _write(page, pymupdf.Rect(72, 455, 540, 490), "(b) Test error of every model over fifty epochs, with the "
           "learning rate schedule of the first experiment and dropout on every layer.")
    _write(page, pymupdf.Rect(72, 500, 540, 520), "Figure 7: Error curves.", 9)

    [fig] = _figures(doc, tmp_path)

    assert fig.bbox[1] <= 160, "both panels and their sub-captions are in the crop"


def test_label_alone_on_its_line_takes_the_text_below(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page()
    _plot(page, pymupdf.Rect(150, 100, 450, 260))
    page.insert_text((72, 292), "Figure 5.", fontsize=9)
    _write(page, pymupdf.Rect(72, 296, 540, 330), "Difference between the F-measures obtained with the two "
           "methods.", 9)

    [fig] = _figures(doc, tmp_path)

    assert fig.caption.startswith("Figure 5. Difference between the F-measures")
    assert fig.bbox[1] <= 100, "the plot is in the crop"


def test_rotated_page_crop_matches_its_text(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page()
    _write(page, pymupdf.Rect(72, 72, 540, 170), BODY)
    _plot(page, pymupdf.Rect(150, 200, 450, 380))
    _write(page, pymupdf.Rect(72, 410, 540, 450), "Figure 1: A landscape page.", 9)
    page.set_rotation(90)
    doc = pymupdf.open("pdf", doc.tobytes())

    [fig] = _figures(doc, tmp_path)

    x0, y0, x1, y1 = fig.bbox  # in the page's text space, like the caption
    assert x0 <= 150 and x1 >= 450 and y0 <= 200 and y1 >= 420
    pix = pymupdf.Pixmap(str(tmp_path / fig.image))
    assert pix.height > pix.width, "rendered as the page is shown: turned"


def test_a_page_that_cannot_be_read_is_skipped(tmp_path, monkeypatch):
    doc = pymupdf.open()
    for _ in range(2):
        page = doc.new_page()
        _plot(page, pymupdf.Rect(150, 100, 450, 260))
        _write(page, pymupdf.Rect(72, 280, 540, 300), "Figure 1: A plot.", 9)
    real = pymupdf.Page.get_text

    def broken_first_page(self, *args, **kwargs):
        if self.number == 0:
            raise RuntimeError("damaged content stream")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pymupdf.Page, "get_text", broken_first_page)

    assert [(f.label, f.page) for f in _figures(doc, tmp_path)] == [("Figure 1", 2)]


# --------------------------------------------------------------------------- corpus


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower().replace("\u21b5", "ff"))


REPRESENTATIVE = [
    "1212.5701.pdf",  # two-column, vector, "Fig. N." labels
    "1605.09507.pdf",  # IEEE, raster and vector, a "Figure 1." list item that is body text
    "1704.08729.pdf",  # labels alone on their line
    "2210.04628.pdf",  # a figure made of text only
    "2307.16789.pdf",  # a wrapped figure, included PDFs with hidden parts
    "dropout-a-simple-way-to-prevent-neural-networks-from-overfitting.pdf",  # JMLR hanging captions
    "1503.02531.pdf",  # no figures at all
]


@needs_corpus
@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_corpus_figures_match_ground_truth(name, manifest, tmp_path):
    gold = next(p for p in manifest if p["file"] == name)
    doc = pymupdf.open(corpus_pdf(name))

    figs = extract_figures(doc, tmp_path)

    want = [(re.search(r"\d+", f["label"]).group(), f["page"]) for f in gold["figures"]]  # "Fig. 1", "Figure 1"
    assert [(f.number, f.page) for f in figs] == want
    for fig, truth in zip(figs, gold["figures"], strict=True):
        start = _norm(" ".join(truth["caption_start"].split()[:5]))  # as the corpus scorer compares
        assert start in _norm(fig.caption)
        assert fig.label == f"Figure {fig.number}" and fig.number.isdigit()
        page = doc[fig.page - 1]
        inside = _norm(page.get_text("text", clip=pymupdf.Rect(fig.bbox)))
        assert start in inside, "the crop holds the caption"
        pix = pymupdf.Pixmap(str(tmp_path / fig.image))
        assert pix.width >= (fig.bbox[2] - fig.bbox[0]) * 150 / 72 - 2


@needs_corpus
def test_damaged_pdf_keeps_its_figures(manifest, tmp_path):
    doc = pymupdf.open(corpus_pdf("1412.6980v9_damaged.pdf"))

    figs = extract_figures(doc, tmp_path)

    assert [(f.label, f.page) for f in figs] == [("Figure 1", 6), ("Figure 2", 7), ("Figure 3", 7), ("Figure 4", 8)]

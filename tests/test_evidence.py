"""The verifier: the comparison key, exact and fuzzy matches, relocation, boxes and crops on real PDFs."""
from __future__ import annotations

import io

import pymupdf
import pytest

from chatpaper.evidence import PageIndex, find_quote, keyed, normalise, verify_evidence
from chatpaper.evidence.boxes import locate_boxes, page_glyphs, render_crop
from chatpaper.evidence.verify import same_words
from chatpaper.models import Evidence

PAGES = [
    "Introduction. Texture synthesis has a long history in graphics.\nWe propose a training-free method.",
    "Our whole process takes 1 minute on one GPU and trains nothing. The results improve by 1.5 points "
    "over the baseline [12, 18], which is not trained either.",
    "本文提出了一种无需训练的纹理合成方法，整个过程只需要一分钟。",
]


@pytest.fixture
def index() -> PageIndex:
    return PageIndex(PAGES)


# --------------------------------------------------------------------------- the key


def test_key_joins_what_extraction_and_models_split():
    assert normalise("ﬁne-grained") == normalise("fine- grained") == normalise("finegrained")
    assert normalise("“Quoted” — text") == normalise('"Quoted" - text')
    assert normalise("Hervé") == normalise("Herve") == normalise("HERVE")
    assert normalise("纹 理 合 成") == normalise("纹理合成")
    assert normalise("ＡＢＣ，") == normalise("ABC,")  # full-width forms (NFKC)


def test_key_keeps_decimal_points_but_not_thousands_commas():
    assert normalise("1.5") != normalise("15")
    assert normalise("2 . 3") == normalise("2.3")  # letter-spaced digits
    assert normalise("10,000") == normalise("10000")


def test_keyed_maps_back_to_the_original_characters():
    k = keyed("The ﬁrst  line")
    start = k.key.index("first")
    assert k.original(start, start + len("first")) == "ﬁrst"


# --------------------------------------------------------------------------- verify


def test_exact_quote_on_its_page_is_verified(index):
    ev = verify_evidence(Evidence(page=2, quote="Our whole process takes 1 minute on one GPU"), index)
    assert (ev.status, ev.page) == ("verified", 2)


def test_damaged_quote_still_verifies(index):
    quote = "Our whole pro- cess takes 1 minute on one GPU and trains nothng"  # hyphen, typo
    assert verify_evidence(Evidence(page=2, quote=quote), index).status == "verified"
    # a citation left out and curly quotes do not matter either
    quote = "improve by 1.5 points over the baseline, which is not trained either"
    assert verify_evidence(Evidence(page=2, quote=quote), index).status == "verified"


def test_quote_on_another_page_is_relocated_and_the_page_corrected(index):
    ev = verify_evidence(Evidence(page=1, quote="The results improve by 1.5 points over the baseline"), index)
    assert (ev.status, ev.page) == ("relocated", 2)


def test_chinese_quote_with_spacing_verifies(index):
    ev = verify_evidence(Evidence(page=3, quote="整个过程 只需要 一分钟"), index)
    assert ev.status == "verified"


@pytest.mark.parametrize("quote", [
    "Our whole process includes 1 minute of model training",  # the invented claim
    "Our whole process takes 5 minute on one GPU and trains nothing",  # a number changed
    "The results improve by 15 points over the baseline",  # a decimal point dropped
    "which is trained either over the baseline",  # "not" dropped, words moved
    "Our whole process takes 1 minute on one GPU and trains everything",  # a word changed
    "整个过程只需要十分钟",  # one CJK character changed
    "a training-free",  # too short to prove anything
])
def test_claims_the_paper_does_not_make_stay_unverified(index, quote):
    assert verify_evidence(Evidence(page=2, quote=quote), index).status == "unverified"


def test_a_negation_added_to_a_real_sentence_does_not_verify(index):
    quote = "Our whole process takes 1 minute on one GPU and trains nothing. The results do not improve by 1.5 points"
    assert verify_evidence(Evidence(page=2, quote=quote), index).status == "unverified"


def test_same_words_tolerates_spelling_not_meaning():
    assert same_words("the texture synthesis", "thetexture synthesis")
    assert same_words("a horizoontal line", "a horizontal line")
    assert not same_words("it is not trained", "it is trained")
    assert not same_words("it is trained", "it is not trained")
    assert not same_words("takes 2 minutes", "takes 1 minutes")


def test_find_quote_prefers_the_cited_page_even_when_fuzzy(index):
    hit = find_quote("Our whole process takes 1 minute on one GPU and trains nothng", 2, index)
    assert hit is not None and hit.page == 2 and hit.kind == "fuzzy"


def test_status_from_the_model_is_overwritten(index):
    ev = Evidence(page=2, quote="entirely invented sentence about nothing at all", status="verified",
                  boxes=[(0, 0, 1, 1)])
    out = verify_evidence(ev, index)
    assert out.status == "unverified" and out.boxes == []


def test_the_llm_schema_hides_status_and_boxes():
    schema = Evidence.model_json_schema()
    assert set(schema["properties"]) == {"page", "quote"}


# --------------------------------------------------------------------------- boxes and crops


def _pdf(text_by_page: list[str], fontname: str = "helv") -> pymupdf.Document:
    doc = pymupdf.open()
    for text in text_by_page:
        page = doc.new_page(width=595, height=842)
        page.insert_textbox(pymupdf.Rect(72, 72, 523, 770), text, fontsize=11, fontname=fontname)
    return doc


def test_boxes_cover_the_quote_line_by_line():
    doc = _pdf([PAGES[1]])
    page = doc[0]
    boxes = locate_boxes(page, "takes 1 minute on one GPU and trains nothing. The results improve by 1.5 points "
                               "over the baseline")
    assert len(boxes) >= 2  # the quote wraps: one rectangle per line
    words = [w for w in page.get_text("words") if w[4] in ("takes", "baseline")]
    for x0, y0, x1, y1, *_ in words:
        centre = ((x0 + x1) / 2, (y0 + y1) / 2)
        assert any(b[0] <= centre[0] <= b[2] and b[1] <= centre[1] <= b[3] for b in boxes)
    not_quoted = next(w for w in page.get_text("words") if w[4] == "whole")
    assert not any(b[0] <= (not_quoted[0] + not_quoted[2]) / 2 <= b[2] and b[1] <= (not_quoted[1] + not_quoted[3]) / 2
                   <= b[3] for b in boxes)


def test_boxes_for_chinese_are_per_glyph_not_per_line():
    doc = _pdf([PAGES[2]], fontname="china-s")
    page = doc[0]
    line = page_glyphs(page)
    assert line.keyed.key  # the CJK font's glyphs are read
    boxes = locate_boxes(page, "整个过程只需要一分钟")
    assert len(boxes) == 1
    full = page.search_for("本文")[0]
    assert boxes[0][0] > full.x1  # starts after the sentence's beginning, not at the line's start


def test_a_quote_not_on_the_page_has_no_boxes():
    doc = _pdf([PAGES[0]])
    assert locate_boxes(doc[0], "Our whole process takes 1 minute on one GPU") == []


def test_crop_is_a_png_with_the_quote_highlighted():
    doc = _pdf([PAGES[1]])
    page = doc[0]
    boxes = locate_boxes(page, "takes 1 minute on one GPU and trains nothing")
    png = render_crop(page, boxes)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pix = pymupdf.Pixmap(io.BytesIO(png).getvalue())
    assert pix.width > pix.height  # a band of the page, not the whole page
    # a highlighted pixel is yellow (blue channel lowered), a pixel outside is white
    scale = pix.width / page.rect.width
    x0, y0, _x1, _y1 = boxes[0]
    clip_top = max(0.0, min(b[1] for b in boxes) - 36.0)
    inside = pix.pixel(int(x0 * scale) + 1, int((y0 - clip_top) * scale) + 1)
    outside = pix.pixel(pix.width - 3, 2)
    assert inside[2] < 200 and inside[0] > 200
    assert outside == (255, 255, 255)
    assert not list(page.annots())  # the document was not annotated

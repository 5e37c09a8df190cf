"""Held-out papers in styles the dev corpus has little of (tests/pdf_factory.py): the parse must not
depend on the corpus it was tuned on. Each paper is checked for what the corpus scorer checks."""
from __future__ import annotations

import re

import pymupdf
import pytest

from chatpaper.pdf import parse_pdf
from chatpaper.pdf.text import _font_style, clean_chars
from chatpaper.settings import Settings
from tests.pdf_factory import PAPERS, _wrap, body


@pytest.fixture(scope="module", params=sorted(PAPERS))
def generated(request, tmp_path_factory):
    """(parsed Paper, ground truth, the PDF itself) for each held-out paper, made once per module."""
    data, truth = PAPERS[request.param]()
    paper = parse_pdf(data, out_dir=tmp_path_factory.mktemp(request.param), settings=Settings())
    return paper, truth, pymupdf.open(stream=data, filetype="pdf")


@pytest.fixture
def parsed(generated):
    return generated[:2]


def test_title(parsed):
    paper, truth = parsed
    assert paper.title == truth.title


def test_authors_and_first_affiliation(parsed):
    paper, truth = parsed
    assert paper.authors == truth.authors
    if truth.affiliation:
        assert paper.affiliations[0] == truth.affiliation
    assert not any(re.search(r"(Figure|Fig\.|Table)\s*\d", a) for a in paper.affiliations)  # a teaser's caption


def test_abstract_start(parsed):
    paper, truth = parsed
    assert paper.abstract.startswith(truth.abstract_start)
    for after in ("Introduction", "INTRODUCTION", "CCS CONCEPTS", "Keywords", "KEYWORDS", "Index Terms"):
        assert after not in paper.abstract


def test_top_level_sections(parsed):
    paper, truth = parsed
    top = [s.title for s in paper.sections if s.level == 1 and s.role != "appendix"]
    assert top == truth.sections


def test_method_and_conclusion_roles(parsed):
    paper, truth = parsed
    methods = [s.title for s in paper.sections if s.level == 1 and s.role == "method"]
    conclusions = [s.title for s in paper.sections if s.level == 1 and s.role == "conclusion"]
    assert methods == ([truth.method] if truth.method else [])
    assert conclusions == ([truth.conclusion] if truth.conclusion else [])


def test_figures_labels_and_pages_no_tables(parsed):
    paper, truth = parsed
    assert [(f.label, f.page) for f in paper.figures] == truth.figures
    assert not any(f.caption.lower().startswith("table") for f in paper.figures)


def test_section_text_without_running_headers_or_line_numbers(parsed):
    paper, _ = parsed
    text = " ".join(s.text for s in paper.sections)
    assert "Under review as a conference paper" not in text and "IEEE TRANSACTIONS" not in text
    assert not any(tok.isdigit() and len(tok) == 3 for tok in text.split())  # line numbers
    assert not any(tok.isdigit() and len(tok) == 3 for aff in paper.affiliations for tok in aff.split())
    assert "A cited work" not in text  # the reference list, whatever its heading
    assert "We thank" not in text  # acknowledgements are not the paper's body


def test_figure_crops_hold_graphics_and_caption_but_no_body_text(generated):
    paper, _, doc = generated
    for fig in paper.figures:
        page = doc[fig.page - 1]
        box = pymupdf.Rect(fig.bbox)
        assert any(pymupdf.Rect(d["rect"]).intersects(box) for d in page.get_drawings()) or any(
            pymupdf.Rect(r).intersects(box) for img in page.get_images() for r in page.get_image_rects(img[0]))
        inside = [clean_chars(w[4]) for w in page.get_text("words") if pymupdf.Rect(w[:4]) in box]
        caption = fig.caption.split()
        # the factory's own figure text: tick labels, axis title, panel letters, teaser labels
        own = re.compile(r"\d+|Epoch|\([a-d]\)|Input|Photos|Relit|Output")
        stray = [w for w in inside if w not in caption and not own.fullmatch(w)]
        assert len(stray) <= 2, f"{fig.label}: body text in the crop: {stray[:12]}"


@pytest.mark.parametrize(("font", "bold", "italic"), [
    ("LinLibertineTB", True, False),  # ACM's bold
    ("LinBiolinumTB", True, False),
    ("LinLibertineTI", False, True),
    ("LinLibertineT", False, False),
    ("NimbusRomNo9L-Medi", True, False),
    ("CMBX12", True, False),
    ("Helvetica-Bd", True, False),
    ("CMR10", False, False),
])
def test_bold_and_italic_from_font_names(font, bold, italic):
    assert _font_style(font) == (bold, italic)


def test_line_numbers_set_before_each_line_are_not_glued_to_it(tmp_path):
    """`lineno` writes each number just before its line: headings must still read "1 Introduction"."""
    doc = pymupdf.open()
    page, y, n = doc.new_page(), 72.0, 0

    def line(text: str, size: float = 10, font: str = "tiro") -> None:
        nonlocal page, y, n
        if y > 720:
            page, y = doc.new_page(), 72.0
        label = f"{n:03d}"
        page.insert_text((108 - 10 - pymupdf.get_text_length(label, fontsize=7), y), label, fontsize=7)
        page.insert_text((108, y), text, fontsize=size, fontname=font)
        y, n = y + size * 1.35, n + 1

    line("Reading Review Copies Without Their Line Numbers", 16, "tibo")
    line("Anonymous Authors", 11, "tibo")
    line("Abstract", 11, "tibo")
    for _ in range(4):
        line("Line numbers sit on the baseline of every line of a paper under review.")
    for title in ("1 Introduction", "2 Method", "3 Experiments", "4 Conclusion"):
        line(title, 12, "tibo")
        for _ in range(12):
            line("This is running text of the paper, long enough to set the body size of the page.")
    paper = parse_pdf(doc.tobytes(), out_dir=tmp_path, settings=Settings())
    assert [(s.number, s.title) for s in paper.sections] == [
        ("1", "Introduction"), ("2", "Method"), ("3", "Experiments"), ("4", "Conclusion")]
    assert paper.title == "Reading Review Copies Without Their Line Numbers"
    assert paper.abstract.startswith("Line numbers sit on the baseline")
    assert not any(re.search(r"\b\d{3}\b", text) for text in paper.page_texts)


@pytest.mark.parametrize(("rows", "want"), [
    (["Keywords: document parsing; thesis layouts; tables of contents"],
     ["document parsing", "thesis layouts", "tables of contents"]),
    (["Key words: adaptive learning rates, machine learn-", "ing, gradient descent"],
     ["adaptive learning rates", "machine learning", "gradient descent"]),
    (["Index Terms\u2014Instrument recognition, convolutional neural"], ["Instrument recognition", "convolutional neural"]),
    (["Keywords: 3D Generation \u00b7 Sparse Encoding \u00b7 Adversarial Decoding"],
     ["3D Generation", "Sparse Encoding", "Adversarial Decoding"]),
    (["Keywords:", "Retinal vessel segmentation", "Graph neural network"],  # Elsevier: one keyword per line
     ["Retinal vessel segmentation", "Graph neural network"]),
])
def test_english_keywords_blocks_are_the_papers_keywords(tmp_path, rows, want):
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 90), "Reading Keywords Blocks of English Papers", fontsize=17, fontname="tibo")
    page.insert_text((72, 115), "Dana Fox, Eli Grant", fontsize=11, fontname="tiro")
    page.insert_text((72, 150), "Abstract", fontsize=11, fontname="tibo")
    y = 166.0
    for line in _wrap(body(6), 460, 10):
        page.insert_text((72, y), line, fontsize=10, fontname="tiro")
        y += 12
    y += 8
    for row in rows:
        page.insert_text((72, y), row, fontsize=10, fontname="tiro")
        y += 12
    page.insert_text((72, y + 20), "1 Introduction", fontsize=12, fontname="tibo")
    for k, line in enumerate(_wrap(body(12, 1), 460, 10)):
        page.insert_text((72, y + 40 + 12 * k), line, fontsize=10, fontname="tiro")
    paper = parse_pdf(doc.tobytes(), out_dir=tmp_path, settings=Settings())
    assert paper.keywords == want
    assert "Keywords" not in paper.abstract and "Index Terms" not in paper.abstract


def test_a_thesis_keeps_its_cover_institution_its_keywords_and_no_contents_entries(tmp_path):
    data, _ = PAPERS["thesis-stacked-chapters"]()
    paper = parse_pdf(data, out_dir=tmp_path, settings=Settings())
    assert paper.affiliations == ["UNIVERSITY OF TESTVILLE, School of Computing"]  # not the degree sentence
    assert paper.keywords == ["document parsing", "thesis layouts", "table of contents"]
    assert all(s.page >= 5 for s in paper.sections)  # the contents page (4) lists chapters: none is a section
    assert [s.number for s in paper.sections if s.level == 1] == ["1", "2", "3", "4", "5"]

"""Reading generated papers: front matter, headings and roles, clean text, links."""
from __future__ import annotations

import pymupdf
import pytest

from chatpaper.pdf import PARSER_VERSION, find_code_urls, parse_pdf
from chatpaper.pdf.text import clean_chars, fix_span_glyphs, join_lines
from chatpaper.settings import Settings
from tests.pdf_factory import elsevier_paper, footer_mid_abstract_paper

BODY = ("This paragraph is ordinary running text of the paper, long enough to look like a body line "
        "and to set the body font size for the whole document.")


class PaperWriter:
    """A tiny typesetter: one-column or two-column pages with headings, body text and a running header."""

    def __init__(self, columns: int = 1, header: str | None = "Preprint. Under review."):
        self.doc = pymupdf.open()
        self.columns = columns
        self.header = header
        self.page = None
        self.col = 0
        self.y = 0.0
        self._new_page()

    def _new_page(self):
        self.page = self.doc.new_page(width=612, height=792)
        self.col, self.y = 0, 80.0
        self.top = 80.0
        if self.header:
            self.page.insert_text((72, 40), self.header, fontsize=8)
        self.page.insert_text((300, 760), str(self.doc.page_count), fontsize=8)

    def _x(self) -> tuple[float, float]:
        if self.columns == 1:
            return 72, 540
        return (72, 296) if self.col == 0 else (316, 540)

    def _room(self, height: float):
        if self.y + height > 720:
            if self.columns == 2 and self.col == 0:
                self.col, self.y = 1, self.top
            else:
                self._new_page()

    def text(self, line: str, *, size: float = 10, bold: bool = False, italic: bool = False, center: bool = False,
             gap: float = 0):
        self._room(size * 1.4 + gap)
        self.y += gap
        x0, x1 = self._x()
        font = "hebo" if bold else "heit" if italic else "helv"
        width = pymupdf.get_text_length(line, fontname=font, fontsize=size)
        x = (x0 + x1 - width) / 2 if center else x0
        self.page.insert_text((x, self.y + size), line, fontsize=size, fontname=font)
        self.y += size * 1.4

    def paragraph(self, words: str, size: float = 10):
        x0, x1 = self._x()
        line = ""
        for word in words.split():
            trial = (line + " " + word).strip()
            if pymupdf.get_text_length(trial, fontname="helv", fontsize=size) > x1 - x0:
                self.text(line, size=size)
                line = word
            else:
                line = trial
        if line:
            self.text(line, size=size)
        self.y += 4

    def start_columns(self):
        """The front matter spans the page; columns start below it."""
        self.top = self.y

    def heading(self, title: str, size: float = 12, italic: bool = False):
        self.text(title, size=size, bold=not italic, italic=italic, gap=6)

    def bytes(self) -> bytes:
        return self.doc.tobytes()


def one_column_paper() -> bytes:
    w = PaperWriter()
    w.text("Learning Tiny Things Quickly", size=18, bold=True, center=True)
    w.text("Alice M. Smith 1, Bob Jones 2", size=11, center=True, gap=6)
    w.text("1 University of Testing, Testville", size=9, center=True)
    w.text("2 Example Research Lab", size=9, center=True)
    w.text("Abstract", size=12, bold=True, center=True, gap=10)
    w.paragraph("We present a tiny method for learning tiny things. Code is available at "
                "https://github.com/alice/tiny-things. " + BODY)
    w.heading("1 Introduction")
    w.paragraph(BODY + " The approach is extremely hyphen-")
    w.paragraph("ated in places. " + BODY * 2)
    w.heading("2 Related Work")
    w.paragraph(BODY * 2)
    w.heading("3 Tiny Learner")
    w.paragraph("In this section we propose the tiny learner. " + BODY * 2)
    w.heading("3.1 Training Details", size=11)
    w.paragraph(BODY * 2)
    w.heading("4 Experiments")
    w.paragraph(BODY * 4)
    w.heading("5 Conclusions")
    w.paragraph("We conclude that tiny things are learnt quickly. " + BODY)
    w.heading("References")
    w.paragraph("[1] A. Nobody. A cited work that must not appear in section text. Journal of Tests, 2020.")
    w.heading("A Extra Proofs")
    w.paragraph(BODY)
    return w.bytes()


def two_column_ieee_paper() -> bytes:
    w = PaperWriter(columns=2, header="IEEE TRANSACTIONS ON TESTING, VOL. 1, NO. 1")
    w.text("A Two Column Study", size=20, center=False)
    w.text("Carol Ng and Dan O'Brien, Member, IEEE", size=11)
    w.start_columns()
    w.text("Abstract - We study two columns of text in a paper written for testing the reader. "
           "Nothing else happens.", size=9, bold=True)
    w.heading("I. INTRODUCTION", size=10)
    w.paragraph(BODY * 3)
    w.heading("II. BACKGROUND", size=10)
    w.paragraph(BODY * 3)
    w.heading("III. PROPOSED APPROACH", size=10)
    w.heading("A. First Part", size=10, italic=True)  # IEEE sets subsections in italics
    w.paragraph(BODY * 3)
    w.heading("B. Second Part", size=10, italic=True)
    w.paragraph(BODY * 3)
    w.heading("IV. EVALUATION", size=10)
    w.paragraph(BODY * 4)
    w.heading("V. DISCUSSION", size=10)
    w.paragraph(BODY * 2)
    return w.bytes()


@pytest.fixture(scope="module")
def paper(tmp_path_factory):
    return parse_pdf(one_column_paper(), out_dir=tmp_path_factory.mktemp("one"), settings=Settings())


@pytest.fixture(scope="module")
def ieee(tmp_path_factory):
    return parse_pdf(two_column_ieee_paper(), out_dir=tmp_path_factory.mktemp("two"), settings=Settings())


def test_front_matter(paper):
    assert paper.title == "Learning Tiny Things Quickly"
    assert paper.authors == ["Alice M. Smith", "Bob Jones"]
    assert paper.affiliations[0] == "University of Testing, Testville"
    assert paper.abstract.startswith("We present a tiny method for learning tiny things.")
    assert "Introduction" not in paper.abstract


def test_headings_numbers_levels_and_pages(paper):
    got = [(s.number, s.title, s.level) for s in paper.sections]
    assert got == [("1", "Introduction", 1), ("2", "Related Work", 1), ("3", "Tiny Learner", 1),
                   ("3.1", "Training Details", 2), ("4", "Experiments", 1), ("5", "Conclusions", 1),
                   ("A", "Extra Proofs", 1)]
    assert paper.sections[0].page == 1
    assert all(s.page >= 1 for s in paper.sections)


def test_roles_one_method_one_conclusion(paper):
    roles = {s.title: s.role for s in paper.sections}
    assert roles["Introduction"] == "introduction"
    assert roles["Related Work"] == "related_work"
    assert roles["Tiny Learner"] == "method"  # named after the method, found by position and wording
    assert roles["Training Details"] == "method"  # a subsection inherits its parent's role
    assert roles["Experiments"] == "experiments"
    assert roles["Conclusions"] == "conclusion"
    assert roles["Extra Proofs"] == "appendix"
    assert [s.title for s in paper.sections if s.level == 1 and s.role == "method"] == ["Tiny Learner"]
    assert paper.section("conclusion").title == "Conclusions"


def test_section_text_is_clean(paper):
    intro = paper.section("introduction")
    assert "hyphenated in places" in intro.text
    assert "Preprint. Under review." not in intro.text
    assert intro.text.startswith("This paragraph is ordinary running text")
    assert "Related Work" not in intro.text
    assert all("A cited work" not in s.text for s in paper.sections)


def test_paragraphs_carry_the_page_they_start_on(tmp_path):
    w = PaperWriter()
    w.text("Paragraphs Across Pages", size=18, bold=True, center=True)
    w.text("Alice M. Smith", size=11, center=True, gap=6)
    w.text("Abstract", size=12, bold=True, center=True, gap=10)
    w.paragraph("We present a way to keep pages. " + BODY)
    w.heading("1 Introduction")
    w.paragraph(BODY)
    w.heading("2 Method")
    for k in range(1, 13):  # twelve paragraphs: the section runs onto page 2
        w.y += 8
        w.paragraph(f"Paragraph {k} opens here. " + BODY * 2)
    w.heading("3 Conclusion")
    w.paragraph(BODY)
    paper = parse_pdf(w.bytes(), out_dir=tmp_path, settings=Settings())
    method = paper.section("method")
    pages = [p.page for p in method.paragraphs]
    assert pages[0] == 1 and pages[-1] == 2 and pages == sorted(pages)
    assert method.text == "\n\n".join(p.text for p in method.paragraphs)
    for p in method.paragraphs:
        assert " ".join(p.text.split()[:6]) in " ".join(paper.page_texts[p.page - 1].split())
    page_of = {p.text.split(" opens")[0]: p.page for p in method.paragraphs if p.text.startswith("Paragraph")}
    assert page_of["Paragraph 1"] == 1 and page_of["Paragraph 12"] == 2
    assert all(len(s.paragraph_pages) == len(s.paragraphs) > 0 for s in paper.sections)


def test_page_texts_cover_every_page_without_running_headers(paper):
    assert len(paper.page_texts) == paper.pages
    assert all(text for text in paper.page_texts)
    assert all("Preprint. Under review." not in text for text in paper.page_texts)
    assert "Learning Tiny Things Quickly" in paper.page_texts[0]
    assert not any(line.strip().isdigit() for text in paper.page_texts for line in text.splitlines())


def test_code_url_and_parser_versions(paper):
    assert paper.code_urls[0] == "https://github.com/alice/tiny-things"
    assert paper.parser["name"] == "chatpaper.pdf"
    assert paper.parser["version"] == PARSER_VERSION
    assert paper.parser["pymupdf"] == pymupdf.__version__
    assert paper.source.kind == "pdf" and len(paper.source.sha256) == 64


def test_ieee_two_columns_roman_numerals_caps(ieee):
    assert ieee.title == "A Two Column Study"
    assert ieee.authors == ["Carol Ng", "Dan O'Brien"]
    assert ieee.abstract.startswith("We study two columns of text")
    top = [(s.number, s.title) for s in ieee.sections if s.level == 1]
    assert top == [("I", "INTRODUCTION"), ("II", "BACKGROUND"), ("III", "PROPOSED APPROACH"), ("IV", "EVALUATION"),
                   ("V", "DISCUSSION")]
    subs = [(s.number, s.title, s.level) for s in ieee.sections if s.level == 2]
    assert subs == [("A", "First Part", 2), ("B", "Second Part", 2)]
    roles = {s.title: s.role for s in ieee.sections if s.level == 1}
    assert roles["PROPOSED APPROACH"] == "method"
    assert roles["DISCUSSION"] == "conclusion"  # no "Conclusion": the closing discussion stands in
    assert roles["BACKGROUND"] == "related_work"


def test_survey_has_no_method_section(tmp_path):
    w = PaperWriter()
    w.text("Tiny Things: A Survey", size=18, bold=True)
    w.text("Eve Adams", size=11)
    w.text("Abstract", size=12, bold=True)
    w.paragraph(BODY)
    for n, title in enumerate(["Introduction", "Methods Reviewed", "Open Problems", "Conclusion"], 1):
        w.heading(f"{n} {title}")
        w.paragraph(BODY * 2)
    paper = parse_pdf(w.bytes(), out_dir=tmp_path, settings=Settings())
    assert [s.title for s in paper.sections] == ["Introduction", "Methods Reviewed", "Open Problems", "Conclusion"]
    assert paper.section("method") is None
    assert paper.section("conclusion").title == "Conclusion"


STUDY_SECTIONS = ["Introduction", "Optimisers Compared", "Setup", "Experiments", "Conclusion"]


@pytest.mark.parametrize("title, opening, sections, method", [
    # a position paper argues; a comparison or benchmark study measures others' methods
    ("Position: Benchmarks Should Report Variance", "This position paper argues that single runs mislead.",
     ["Introduction", "The Case for Variance", "Counterarguments", "Conclusion"], None),
    ("Adaptive Optimisers for Small Data", "We compare six optimisers on twelve small data sets.",
     STUDY_SECTIONS, None),
    ("A Comparative Study of Optimisers on Small Data", "Small data sets are common in practice.",
     STUDY_SECTIONS, None),
    ("Benchmarking Optimisers on Small Data", "Small data sets are common in practice.", STUDY_SECTIONS, None),
    ("Optimisers on Small Data", "We benchmark ten optimisers on twelve small data sets.", STUDY_SECTIONS, None),
    # five or more unnamed sections develop the idea: none of them is the method
    ("Generalized Sparse Models", "We extend sparse coding to many data types.",
     ["Introduction", "Sparse Coding Revisited", "Generalized Penalties", "Generalized Losses", "Abstract Data Types",
      "Fitting", "Choosing", "Implementations"], None),
    # controls: a study that proposes keeps its method, and a method named by its heading is found
    ("Optimisers on Small Data", "We compare six optimisers, and we propose a seventh that needs no tuning.",
     ["Introduction", "Our Approach", "Experiments", "Conclusion"], "Our Approach"),
    ("Fast Sparse Models", "Sparse models are slow to fit.",
     ["Introduction", "Background", "Sparse Fitting Framework", "Experiments", "Conclusion"], "Sparse Fitting Framework"),
    ("Fast Sparse Models", "Sparse models are slow to fit.",
     ["Introduction", "Greedy Fitting", "Experiments", "Conclusion"], "Greedy Fitting"),
])
def test_a_paper_without_a_single_method_section_has_no_method(tmp_path, title, opening, sections, method):
    w = PaperWriter()
    w.text(title, size=18, bold=True)
    w.text("Eve Adams", size=11)
    w.text("Abstract", size=12, bold=True)
    w.paragraph(opening + " " + BODY)
    for n, heading in enumerate(sections, 1):
        w.heading(f"{n} {heading}")
        w.paragraph(BODY * 2)
    paper = parse_pdf(w.bytes(), out_dir=tmp_path, settings=Settings())
    assert [s.title for s in paper.sections if s.level == 1] == sections
    found = paper.section("method")
    assert (found.title if found else None) == method
    if "Conclusion" in sections:
        assert paper.section("conclusion").title == "Conclusion"


def test_numbered_lists_and_tables_of_contents_are_not_headings(tmp_path):
    w = PaperWriter()
    w.text("Contents Are Not Sections", size=18, bold=True)
    w.text("Abstract", size=12, bold=True)
    w.paragraph(BODY)
    w.text("Contents", size=14, bold=True)
    for n, title in enumerate(["Introduction", "Model", "Results"], 1):
        w.text(f"{n} {title} " + ". " * 40 + f"{n + 1}", size=10, bold=True)
        w.text(f"{n}.1 Part " + ". " * 40 + f"{n + 1}", size=10)
    w._new_page()
    w.heading("1 Introduction")
    w.paragraph(BODY)
    w.text("7 Bold list items are not sections because seven does not follow one", bold=True, size=10)
    w.heading("2 Model")
    w.paragraph(BODY)
    w.heading("3 Results")
    w.paragraph(BODY)
    paper = parse_pdf(w.bytes(), out_dir=tmp_path, settings=Settings())
    assert [(s.number, s.title, s.page) for s in paper.sections] == [
        ("1", "Introduction", 2), ("2", "Model", 2), ("3", "Results", 2)]
    assert paper.section("method").title == "Model"


# --------------------------------------------------------------------------- characters


@pytest.mark.parametrize(("raw", "clean"), [
    ("Herv´e Glotin", "Hervé Glotin"),
    ("Gr´egory Nuel", "Grégory Nuel"),
    ("na¨ıve", "naïve"),
    ("Schl¨uter", "Schlüter"),
    ("efﬁcient ﬂow", "efficient flow"),
    ("plain ascii", "plain ascii"),
])
def test_clean_chars(raw, clean):
    assert clean_chars(raw) == clean


def test_quartz_glyphs_depend_on_the_font():
    assert fix_span_glyphs("Geo↵rey", "CMBX10") == "Geoffrey"
    assert fix_span_glyphs("di↵erent", "CMR10") == "different"
    assert fix_span_glyphs("↵", "CMMI10") == "α"
    assert fix_span_glyphs("⌘", "CMMI10") == "η"
    assert fix_span_glyphs("⇤", "CMSY7") == "∗"


def test_join_lines_mends_hyphens_and_urls():
    assert join_lines(["a learning rate method dynami-", "cally adapts"]) == "a learning rate method dynamically adapts"
    assert join_lines(["state-of-the-", "Art"]) == "state-of-the-Art"  # a compound keeps its hyphen
    assert join_lines(["see https://github.com/", "owner/repo now"]) == "see https://github.com/owner/repo now"


# --------------------------------------------------------------------------- links


def test_find_code_urls():
    text = ("Code: https://github.com/OpenBMB/ToolBench. Project page (https://openbmb.github.io/ToolBench/), "
            "models at huggingface.co/org/model; see also https://github.com/OpenBMB/ToolBench again. "
            "Data from http://example.org/data and our project page is at http://example.org/tiny.")
    assert find_code_urls(text) == [
        "https://github.com/OpenBMB/ToolBench",
        "https://openbmb.github.io/ToolBench/",
        "https://huggingface.co/org/model",
        "http://example.org/tiny",
    ]


def test_find_code_urls_ignores_bare_hosts_and_empty_text():
    assert find_code_urls("") == []
    assert find_code_urls("hosted on https://github.com/ somewhere") == []


def test_unnumbered_headings_share_the_introduction_style(tmp_path):
    w = PaperWriter()
    w.text("Headings Without Numbers", size=18, bold=True)
    w.text("Frank Li, Grace Hopper", size=11)
    w.text("ABSTRACT", size=10, bold=True)
    w.paragraph("Unnumbered papers exist. " + BODY)
    for title in ("Introduction", "Sparse Memory Model", "Experiments", "Concluding Remarks"):
        w.heading(title)
        w.paragraph(BODY * 2)
    w.text("Table 1: bold table labels are not headings", size=9, bold=True)
    w.paragraph(BODY)
    paper = parse_pdf(w.bytes(), out_dir=tmp_path, settings=Settings())
    assert paper.authors == ["Frank Li", "Grace Hopper"]
    assert paper.abstract.startswith("Unnumbered papers exist.")
    assert [(s.number, s.title) for s in paper.sections] == [
        (None, "Introduction"), (None, "Sparse Memory Model"), (None, "Experiments"), (None, "Concluding Remarks")]
    assert paper.section("method").title == "Sparse Memory Model"
    assert paper.section("conclusion").title == "Concluding Remarks"


def test_arxiv_margin_stamp_is_kept_for_links(tmp_path):
    doc = pymupdf.open(stream=one_column_paper(), filetype="pdf")
    # arXiv prints its stamp rotated in the left margin of page 1
    doc[0].insert_text((20, 500), "arXiv:2405.15619v2  [cs.CV]  24 May 2024", fontsize=14, rotate=90)
    paper = parse_pdf(doc.tobytes(), out_dir=tmp_path, settings=Settings(cache_dir=tmp_path))
    assert paper.arxiv_stamp == "2405.15619v2"
    assert paper.title == "Learning Tiny Things Quickly"


def test_no_stamp_no_arxiv_id(paper):
    assert paper.arxiv_stamp is None


def _linked_pdf(lines: list[str], links: list[tuple[int, str]]) -> bytes:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    y = 80.0
    page.insert_text((72, y), "A Paper About Sound From Images", fontsize=18)
    for k, line in enumerate(lines):
        y += 16
        page.insert_text((72, y), line, fontsize=10)
        for index, uri in links:
            if index == k:
                page.insert_link({"kind": pymupdf.LINK_URI, "from": pymupdf.Rect(72, y - 10, 400, y + 2), "uri": uri})
    data = doc.tobytes()
    doc.close()
    return data


def test_a_code_url_broken_across_lines_is_completed_from_the_pdfs_link_annotation(tmp_path):
    from chatpaper.pdf import parse_pdf

    lines = ["Abstract", "We generate sound for images. Code is available at https://github.com/see2sound/",
             "see2sound and our results show that the method works well on many scenes."]
    paper = parse_pdf(_linked_pdf(lines, [(1, "https://github.com/see2sound/see2sound")]), out_dir=tmp_path,
                      settings=Settings())
    assert paper.code_urls == ["https://github.com/see2sound/see2sound"]  # the cut-off "…/see2sound/" is gone


def test_an_arxiv_link_is_never_the_papers_code(tmp_path):
    from chatpaper.pdf import parse_pdf

    lines = ["Abstract", "We generate sound for images. Extended version with code and appendix available at",
             "https://arxiv.org/abs/2409.18401 and the method works well on many scenes."]
    paper = parse_pdf(_linked_pdf(lines, [(2, "https://arxiv.org/abs/2409.18401")]), out_dir=tmp_path,
                      settings=Settings())
    assert not any("arxiv.org" in u for u in paper.code_urls)
    from chatpaper.chain import build_header

    header = build_header(paper)  # the abstract's arXiv link is the paper's own: "arXiv: <link>", never None
    assert header.arxiv_url == "https://arxiv.org/abs/2409.18401" and header.code_url is None


def test_an_arxiv_link_outside_the_abstract_is_not_taken_for_the_papers_own(tmp_path):
    import pymupdf

    from chatpaper.chain import build_header
    from chatpaper.pdf import parse_pdf

    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((72, 80), "A Paper About Sound From Images", fontsize=18, fontname="hebo")
    page.insert_text((72, 120), "Abstract", fontsize=12, fontname="hebo")
    page.insert_textbox(pymupdf.Rect(72, 128, 523, 200), "We generate sound for images and the method works "
                        "well on many scenes. " * 3, fontsize=10)
    page.insert_text((72, 230), "1 Introduction", fontsize=12, fontname="hebo")
    page.insert_textbox(pymupdf.Rect(72, 238, 523, 320), "Prior work (https://arxiv.org/abs/2301.00001) renders "
                        "sound from video, and others follow it closely. " * 2, fontsize=10)
    paper = parse_pdf(doc.tobytes(), out_dir=tmp_path, settings=Settings())
    assert "2301.00001" not in paper.abstract  # the link is in the body, and so is not the paper's own
    assert paper.arxiv_stamp is None and build_header(paper).arxiv_url is None


@pytest.mark.parametrize("columns", [1, 2])
def test_a_first_page_notice_in_the_footer_band_stays_out_of_the_abstract_and_sections(tmp_path, columns):
    """Issue 12: "...Using our Preprint. Under review. framework..." — the abstract runs past the end of the
    page (one column) or the notice comes after the right column in reading order (two columns)."""
    data, truth = footer_mid_abstract_paper(columns=columns)
    paper = parse_pdf(data, out_dir=tmp_path, settings=Settings())
    assert paper.abstract.startswith(truth.abstract_start)
    assert "Using our framework, we demonstrate that the notice stays out of every paragraph." in paper.abstract
    everything = [paper.abstract, *(s.text for s in paper.sections), *paper.page_texts]
    assert not any("Under review" in text for text in everything)
    assert [s.title for s in paper.sections] == truth.sections


@pytest.mark.parametrize("notice", ["37th Conference on Neural Information Processing Systems (NeurIPS 2023).",
                                    "Copyright 2026 by the authors.", "Published as a conference paper at ICLR 2026"])
def test_other_venue_notices_in_the_footer_band_are_left_out(tmp_path, notice):
    data, _ = footer_mid_abstract_paper(notice=notice)
    paper = parse_pdf(data, out_dir=tmp_path, settings=Settings())
    assert not any(notice[:20] in text for text in [paper.abstract, *(s.text for s in paper.sections),
                                                    *paper.page_texts])


def test_a_first_page_running_head_where_later_pages_have_theirs_is_left_out(tmp_path):
    """Elsevier prints "Journal 12 (2024) 101234" on page 1 and "A. Lima et al. Journal ..." on the others:
    not the same words, but the same band."""
    data, truth = elsevier_paper()
    paper = parse_pdf(data, out_dir=tmp_path, settings=Settings())
    assert "101234" not in paper.page_texts[0] and "101234" not in paper.abstract
    assert paper.title == truth.title

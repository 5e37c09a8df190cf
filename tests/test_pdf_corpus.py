"""Ground truth on real papers from ../shared/corpus (skipped where the corpus is absent).

A representative set: ALL CAPS and roman-numeral headings, two columns, small caps, a four-column
author block, re-saved glyphs, an anonymous submission, an 18-author list, appendices, no
figures, and the damaged file.
"""
from __future__ import annotations

import re
import unicodedata

import pytest

from chatpaper.pdf import parse_pdf
from chatpaper.settings import Settings
from tests.conftest import corpus_pdf, needs_corpus

pytestmark = [needs_corpus, pytest.mark.corpus]

REPRESENTATIVE = [
    "1212.5701.pdf",
    "1503.02531.pdf",
    "1605.09507.pdf",
    "1608.03417.pdf",
    "2210.04628.pdf",
    "2307.16789.pdf",
    "2504.02587.pdf",
    "dropout-a-simple-way-to-prevent-neural-networks-from-overfitting.pdf",
    "1412.6980v9_damaged.pdf",
]


def norm(text: str | None) -> str:
    """As the corpus scorer compares: case, accents' composition and punctuation aside."""
    return re.sub(r"[^a-z0-9]+", "", unicodedata.normalize("NFKC", text or "").lower())


@pytest.fixture(scope="module")
def parsed(tmp_path_factory):
    cache = {}

    def get(name: str):
        if name not in cache:
            cache[name] = parse_pdf(corpus_pdf(name), out_dir=tmp_path_factory.mktemp("corpus"), settings=Settings())
        return cache[name]

    return get


def gold_for(manifest, name):
    return next(g for g in manifest if g["file"] == name)


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_title_and_authors(parsed, manifest, name):
    paper, gold = parsed(name), gold_for(manifest, name)
    assert norm(paper.title) == norm(gold["title"])
    if "damaged" in name:
        return  # the author block is on a page MuPDF could not recover
    assert [norm(a) for a in paper.authors] == [norm(a) for a in gold["authors"]]


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_abstract_start(parsed, manifest, name):
    paper, gold = parsed(name), gold_for(manifest, name)
    if gold["abstract_first_words"] is None:
        assert paper.abstract == ""
        return
    words = " ".join(paper.abstract.split()[:8])
    assert norm(words) == norm(gold["abstract_first_words"])


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_top_level_sections_in_order(parsed, manifest, name):
    paper, gold = parsed(name), gold_for(manifest, name)
    body = [norm(s.title) for s in paper.sections if s.level == 1 and s.role != "appendix"]
    assert body == [norm(h) for h in gold["sections"]]
    appendix = [norm(s.title) for s in paper.sections if s.level == 1 and s.role == "appendix"]
    assert appendix == [norm(h) for h in gold["appendix_sections"]]


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_method_and_conclusion_roles(parsed, manifest, name):
    paper, gold = parsed(name), gold_for(manifest, name)
    for role, key in (("method", "method_section"), ("conclusion", "conclusion_section")):
        marked = [s.title for s in paper.sections if s.level == 1 and s.role == role]
        want = gold[key]
        assert [norm(t) for t in marked] == ([norm(want)] if want else [])


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_figure_labels_and_pages(parsed, manifest, name):
    paper, gold = parsed(name), gold_for(manifest, name)
    want = {(re.search(r"\d+", f["label"]).group(), f["page"]) for f in gold["figures"]}
    got = {(re.search(r"\d+", f.label).group(), f.page) for f in paper.figures}
    assert got == want
    assert all(f.label.startswith("Figure ") for f in paper.figures)


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_page_texts_and_parser(parsed, manifest, name):
    paper, gold = parsed(name), gold_for(manifest, name)
    assert paper.pages == gold["num_pages"] == len(paper.page_texts)
    assert paper.parser["name"] == "chatpaper.pdf" and paper.parser["pymupdf"]


def test_damaged_file_says_which_pages_were_lost(parsed):
    paper = parsed("1412.6980v9_damaged.pdf")
    assert any("pages 1-4 came out blank" in w for w in paper.warnings)
    assert "EXPERIMENTS" in paper.page_texts[4] or "EXPERIMENT" in paper.page_texts[5]


def test_resaved_glyphs_are_repaired(parsed):
    dropout = parsed("dropout-a-simple-way-to-prevent-neural-networks-from-overfitting.pdf")
    assert dropout.authors[1] == "Geoffrey Hinton"
    assert "↵" not in " ".join(dropout.page_texts)
    assert parsed("1608.03417.pdf").authors[3] == "Hervé Glotin"
    assert "⇤" not in " ".join(parsed("1212.5701.pdf").page_texts)


def test_references_and_running_headers_left_out(parsed):
    ieee = parsed("1605.09507.pdf")
    assert not any("JOURNAL OF LATEX CLASS FILES" in t for t in ieee.page_texts)
    conclusion = ieee.section("conclusion")
    assert conclusion.text and "[1]" not in conclusion.text.split("\n\n")[-1][:5]
    assert all(s.role != "references" for s in ieee.sections)


def test_code_url_from_the_abstract(parsed):
    assert parsed("2307.16789.pdf").code_urls[0] == "https://github.com/OpenBMB/ToolBench"

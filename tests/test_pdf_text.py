"""Clean text: line-break hyphens, footnote marks and Quartz's math glyphs (issue 2, "Clean section text")."""
from __future__ import annotations

import pymupdf
import pytest

from chatpaper.pdf.text import (
    build_doc_text,
    build_vocabulary,
    extract_page_lines,
    fix_negations,
    fix_span_glyphs,
    is_quartz,
    join_lines,
    lines_from_dict,
    mend_hyphen,
    page_dict,
    page_text,
)
from tests.conftest import corpus_pdf

# --------------------------------------------------------------------------- hyphens


def test_a_soft_hyphen_is_dropped_and_the_word_joined():
    assert join_lines(["a method that dynami-", "cally adapts"]) == "a method that dynamically adapts"


def test_a_compound_broken_at_its_own_hyphen_keeps_it():
    # TeX breaks a hyphenated word only at its hyphens: "text-to-" + "image" is "text-to-image"
    assert join_lines(["a text-to-", "image model"]) == "a text-to-image model"
    assert join_lines(["state-of-the-", "art results"]) == "state-of-the-art results"
    assert join_lines(["the Janus-Pro-", "7B model"]) == "the Janus-Pro-7B model"


def test_a_capitalised_continuation_keeps_the_hyphen_without_a_space():
    assert join_lines(["we refer to DeepSeek-", "VL2 and"]) == "we refer to DeepSeek-VL2 and"
    assert join_lines(["a Variational Auto-", "Encoder (VAE)"]) == "a Variational Auto-Encoder (VAE)"


def test_the_documents_own_spelling_decides():
    vocab = build_vocabulary(["as was SGD and ADAGRAD in Table 1", "ADAGRAD adapts the rate"])
    assert join_lines(["as was SGD and ADA-", "GRAD. In Table 1"], vocab) == "as was SGD and ADAGRAD. In Table 1"
    hyphened = build_vocabulary(["a well-studied and real-valued signal"])
    assert join_lines(["the real-", "valued case"], hyphened) == "the real-valued case"
    assert join_lines(["the real-", "valued case"]) == "the realvalued case"  # no evidence: a soft hyphen
    joined = build_vocabulary(["nonlinear maps", "a nonlinear layer"])
    assert join_lines(["a non-", "linear map"], joined) == "a nonlinear map"
    assert join_lines(["a non-", "linear map"]) == "a non-linear map"  # "non" is a complete prefix


def test_vocabulary_attests_the_pairs_of_a_compound_but_not_a_line_end():
    vocab = build_vocabulary(["a text-to-image model for data-", "sets"])
    assert vocab["text-to-image"] == 1 and vocab["to-image"] == 1
    assert "data" in vocab and "data-" not in vocab
    assert mend_hyphen("a text-to-", "image", vocab) == "-"
    assert mend_hyphen("dynami-", "cally", vocab) == ""


def test_a_suspended_hyphen_and_a_dash_are_not_joined():
    assert join_lines(["first- and", "second-order terms"]) == "first- and second-order terms"
    assert join_lines(["for first-", "and second-order terms"]) == "for first- and second-order terms"
    assert join_lines(["the result -", "which holds"]) == "the result - which holds"


# --------------------------------------------------------------------------- footnote marks


def _line_with_mark(before: str, mark: str, after: str, *, font: str = "tiro") -> str:
    doc = pymupdf.open()
    page = doc.new_page()
    x = 72.0
    page.insert_text((x, 100), before, fontsize=10, fontname=font)
    x += pymupdf.get_text_length(before, fontname=font, fontsize=10)
    page.insert_text((x, 96.5), mark, fontsize=7, fontname=font)  # raised and smaller: a superscript
    x += pymupdf.get_text_length(mark, fontname=font, fontsize=7)
    page.insert_text((x, 100), after, fontsize=10, fontname=font)
    lines = lines_from_dict(page_dict(page), 1)
    return " ".join(ln.text for ln in lines)


def test_a_raised_footnote_mark_after_punctuation_is_left_out():
    assert _line_with_mark("the winrate of 51.8%.", "5", " This indicates that").strip() == \
        "the winrate of 51.8%. This indicates that"
    assert "labeled." in _line_with_mark("were differently labeled.", "1", " For both cases")
    assert "labeled.1" not in _line_with_mark("were differently labeled.", "1", " For both cases")


def test_a_raised_mark_after_a_word_is_left_out_but_an_exponent_after_a_bracket_stays():
    assert _line_with_mark("we use the RapidAPI", "2", " hub today").split() == ["we", "use", "the", "RapidAPI",
                                                                                 "hub", "today"]
    assert _line_with_mark("(x-a)", "2", " is the loss").replace(" ", "").startswith("(x-a)2")
    assert "log2" in _line_with_mark("the log", "2", "(n) bound").replace(" ", "")


def test_a_symbol_named_in_the_text_stays():
    assert "with *." in _line_with_mark("results marked with ", "*", ".")


# --------------------------------------------------------------------------- Quartz math glyphs


def test_quartz_cmsy_raw_codes_become_math_symbols_only_in_the_symbol_font():
    assert fix_span_glyphs("2", "CMSY10", quartz=True) == "∈"
    assert fix_span_glyphs("k", "CMSY10", quartz=True) == "‖"
    assert fix_span_glyphs("1", "CMSY7", quartz=True) == "∞"
    assert fix_span_glyphs("\uf8ff", "CMSY10") == "≤"
    assert fix_span_glyphs("{", "CMSY10", quartz=True) == "{"  # a brace Quartz named correctly stays
    assert fix_span_glyphs("2", "CMSY10") == "2"  # not Quartz: CMSY text is trusted
    assert fix_span_glyphs("2", "CMR10", quartz=True) == "2"  # real digits in text fonts
    assert fix_span_glyphs("\uf8ff", "CMMI10") == "κ"
    assert fix_negations(fix_span_glyphs("6", "CMSY10", quartz=True) + "=") == "≠"


def test_is_quartz_reads_the_producer():
    doc = pymupdf.open()
    doc.new_page()
    doc.set_metadata({"producer": "Mac OS X 10.12.5 Quartz PDFContext"})
    assert is_quartz(pymupdf.open(stream=doc.tobytes(), filetype="pdf"))
    plain = pymupdf.open()
    plain.new_page()
    plain.set_metadata({"producer": "pdfTeX-1.40.17"})
    assert not is_quartz(pymupdf.open(stream=plain.tobytes(), filetype="pdf"))


# --------------------------------------------------------------------------- the corpus


def _corpus_text(name: str) -> str:
    doc = pymupdf.open(corpus_pdf(name))
    pages = [extract_page_lines(page, k + 1) for k, page in enumerate(doc)]
    text = build_doc_text(pages, [(p.rect.width, p.rect.height) for p in doc])
    return "\n".join(page_text(page, text.vocab) for page in text.pages)


@pytest.mark.parametrize(("name", "present", "absent"), [
    ("2501.17811.pdf", ["text-to-image generation", "DeepSeek-VL2", "Janus-Pro-7B"], ["text-toimage", "textto-image"]),
    ("1212.5701.pdf", ["ADAGRAD"], ["ADA- GRAD", "ADA-GRAD"]),
    ("1412.6980.pdf", ["Auto-Encoder", "‖θn −θm‖2 ≤D"], ["Auto- Encoder", "kθn"]),
    ("2406.05946.pdf", ["51.8%. This"], ["51.8%.5"]),
    ("dropout-a-simple-way-to-prevent-neural-networks-from-overfitting.pdf", ["l ∈ {1, . . . , L}"], ["l 2 {1"]),
    ("1410.0342.pdf", ["Aij ∈ {−1, 1}"], ["Aij 2 {"]),
    ("1704.08729.pdf", ["Benetos and Weyde [6]."], ["[6] 1 ."]),
])
def test_corpus_text_is_clean(name, present, absent):
    text = _corpus_text(name)
    for snippet in present:
        assert snippet in text, snippet
    for snippet in absent:
        assert snippet not in text, snippet


def test_the_space_the_layout_shows_after_a_math_italic_run_is_kept():
    from chatpaper.pdf.text import Span, join_spans

    def span(text, x0, x1):
        return Span(text, 10.0, False, "F", x0, x1, 0, 10, 10)

    # "top-" 𝐾 "out of " 𝑁 "experts": a 3 pt gap (0.3 em) after each variable is a word space
    spans = [span("top-", 0, 20), span("\U0001d43e", 20, 27), span("out of ", 30, 60),
             span("\U0001d441", 60, 68), span("experts", 71, 100)]
    assert join_spans(spans) == "top-\U0001d43e out of \U0001d441 experts"
    # touching glyphs (kerning, a subscript) stay together: no space is invented
    tight = [span("\U0001d45a\U0001d441", 0, 14), span("ones", 14.5, 34)]
    assert join_spans(tight) == "\U0001d45a\U0001d441ones"
    # plain spans are joined as they are
    assert join_spans([span("ab", 0, 10), span("cd", 13, 20)]) == "abcd"

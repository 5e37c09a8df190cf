"""The verifier on a labelled set built by program from the corpus papers (precision >= 0.99, recall >= 0.95)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatpaper.evidence.labelled import NEGATIVE_KINDS, POSITIVE_KINDS, build_labelled_set, score_labelled, sentences
from chatpaper.evidence.verify import PageIndex
from tests.conftest import CORPUS, CORPUS_PDFS, needs_corpus

MIN_PRECISION = 0.99
MIN_RECALL = 0.95


def test_generator_labels_every_kind_on_a_small_paper():
    pages = ["The proposed texture synthesis method is training-free and finishes within 1 minute on a GPU. "
             "It beats the efficient baseline by 2.5 points, and its official code is publicly available.",
             "We evaluate the approach on three standard benchmarks for texture synthesis [4, 7], with a fixed seed."]
    items = list(build_labelled_set([("tiny", pages)], per_paper=5))
    kinds = {q.kind for q in items}
    assert {"exact", "moved", "paraphrase", "spliced", "number-changed", "negated", "shuffled"} <= kinds
    assert {"ligature", "hyphenation", "citation-dropped"} <= kinds
    assert all(q.expected == "unverified" for q in items if q.kind in NEGATIVE_KINDS)
    assert all(q.expected == "verified" for q in items if q.kind in POSITIVE_KINDS)
    assert list(build_labelled_set([("tiny", pages)], per_paper=5)) == items  # deterministic
    result = score_labelled(items, {"tiny": PageIndex(pages)})
    assert (result.precision, result.recall, result.n, dict(result.wrong)) == (1.0, 1.0, len(items), {})


def test_sentences_skip_formulas_and_fragments():
    text = "x = y + 2 z. Short one. This is a proper sentence with enough words to count as prose here."
    assert sentences(text) == ["This is a proper sentence with enough words to count as prose here."]


@needs_corpus
@pytest.mark.corpus
@pytest.mark.slow
def test_verifier_precision_and_recall_on_the_corpus(tmp_path):
    from chatpaper.pdf import parse_pdf
    from chatpaper.settings import Settings

    names = [e["file"] for e in json.loads((CORPUS / "manifest.json").read_text())]
    zh = CORPUS / "manifest-zh.json"
    if zh.exists():
        names += [e["file"] for e in json.loads(zh.read_text())]
    papers = []
    for name in names:
        paper = parse_pdf(CORPUS_PDFS / name, out_dir=tmp_path / Path(name).stem, settings=Settings())
        papers.append((name, paper.page_texts))
    items = list(build_labelled_set(papers))
    assert len(items) > 2000
    result = score_labelled(items, {name: PageIndex(texts) for name, texts in papers})
    assert result.precision >= MIN_PRECISION, result
    assert result.recall >= MIN_RECALL, result

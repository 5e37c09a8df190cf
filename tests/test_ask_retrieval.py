"""Ask the paper, retrieval: passages with their page and section, Chinese and English terms, the BM25
index and its cache, and the question set on the real corpus papers."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from fake_llm import sample_paper

from chatpaper.ask import PassageIndex, paper_index, paper_passages
from chatpaper.ask.index import index_folder
from chatpaper.ask.passages import MAX_UNITS, units
from chatpaper.ask.tokens import tokenize
from chatpaper.models import Figure, Paper, Section, SourceInfo
from tests.ask_eval import gold_rank, load_questions, scores, squash
from tests.conftest import CORPUS_PDFS, needs_corpus

QUESTIONS = load_questions()
ANSWERABLE = [q for q in QUESTIONS if q.answer]


def paper_of(pages: list[str], sections: list[Section] = (), figures: list[Figure] = ()) -> Paper:
    return Paper(source=SourceInfo(kind="pdf", sha256="cd" * 32), title="T", pages=len(pages),
                 sections=list(sections), figures=list(figures), page_texts=pages)


# --------------------------------------------------------------------------- terms


def test_english_terms_are_stemmed_without_stop_words():
    assert tokenize("What learning rates did the authors use?") == ["learn", "rate", "use"]


def test_chinese_bigrams_ignore_the_spaces_a_pdf_puts_between_characters():
    assert tokenize("但 是目前") == tokenize("但是目前") == ["但是", "是目", "目前"]


def test_chinese_runs_stop_at_latin_words():
    assert tokenize("多通道LSTM模型") == ["多通", "通道", "lstm", "模型"]


def test_jieba_gives_words():
    pytest.importorskip("jieba", reason="jieba is the optional [jieba] extra")
    terms = tokenize("基于多通道神经网络的不平衡分类方法", "jieba")
    assert "神经网络" in terms and "分类" in terms and "的" not in terms


def test_unknown_tokenizer_is_refused():
    with pytest.raises(ValueError, match="unknown tokenizer"):
        tokenize("x", "whitespace")


# --------------------------------------------------------------------------- passages


def test_passages_carry_their_page_and_section_and_skip_the_references():
    pages = [
        "A Title\n1 Introduction\nDeep networks overfit small data sets, which is a well known problem in practice "
        "and the subject of much study over many years of research by many groups.",
        "2 Method We drop units at random while training, which prevents co-adaptation of the features that the "
        "network learns from the data it is given during every step.\nReferences\n[1] A. Author. Some paper. 2010.",
    ]
    sections = [Section(title="Introduction", number="1", page=1), Section(title="Method", number="2", page=2)]
    passages = paper_passages(paper_of(pages, sections))
    assert [(p.page, p.section) for p in passages] == [(1, None), (1, "Introduction"), (2, "Method")]
    assert passages[2].text.startswith("2 Method We drop units")  # a heading sharing its paragraph's line
    assert not any("Some paper" in p.text for p in passages)


def test_short_lines_join_until_the_sentence_ends_and_long_blocks_are_cut_between_sentences():
    broken = "这是一个很长的中文句子被排版\n分成了好几行而且每一行\n都没有结束的标点符号直到最后才有句号。"
    long_block = " ".join(f"Sentence number {i} says something about the method and its results." for i in range(60))
    passages = paper_passages(paper_of([broken, long_block]))
    assert passages[0].text == broken.replace("\n", " ") and passages[0].page == 1
    cut = [p for p in passages if p.page == 2]
    assert len(cut) > 1 and all(units(p.text) <= MAX_UNITS for p in cut)
    assert all(p.text.endswith(".") for p in cut)
    assert " ".join(p.text for p in cut) == long_block


def test_figure_captions_are_passages_of_their_own():
    caption = "Fig. 1. Comparison of learning rate methods on MNIST digit classification for 50 epochs."
    figure = Figure(label="Figure 1", page=1, caption=caption, bbox=(0, 0, 10, 10))
    passages = paper_passages(paper_of([f"Some text of the paper that is long enough to be a passage alone here.\n{caption}"],
                                       figures=[figure]))
    captions = [p for p in passages if p.kind == "caption"]
    assert [(p.text, p.page, p.section) for p in captions] == [(caption, 1, "Figure 1")]
    assert sum(caption in p.text for p in passages) == 1  # not a second time from the page text


def test_passage_ids_are_unique():
    passages = paper_passages(sample_paper())
    assert len({p.id for p in passages}) == len(passages)


# --------------------------------------------------------------------------- index and cache


def test_search_ranks_the_passage_that_answers_first():
    index = PassageIndex.build(paper_passages(sample_paper()))
    hits = index.search("What test error on MNIST after 6 epochs?")
    assert hits[0].passage.page == 4 and "2.00%" in hits[0].passage.text
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert index.search("zzzz qqqq") == [] and index.search("") == []


def test_index_is_built_once_per_paper_version_and_then_read_from_the_cache(tmp_path, monkeypatch):
    paper = sample_paper()
    first = paper_index(paper, cache_dir=tmp_path)
    folder = index_folder(tmp_path, paper, first.fingerprint)
    assert (folder / "passages.json").is_file()
    assert not any(part.startswith("runs") for part in folder.relative_to(tmp_path).parts)  # never served

    def no_build(*args, **kwargs):
        raise AssertionError("the index was built again")

    monkeypatch.setattr(PassageIndex, "build", classmethod(no_build))
    again = paper_index(paper, cache_dir=tmp_path)
    assert again.passages == first.passages
    question = "Which dataset is used for digit classification?"
    assert [h.passage.id for h in again.search(question)] == [h.passage.id for h in first.search(question)]


def test_a_reparsed_paper_gets_a_new_index_and_a_damaged_one_is_rebuilt(tmp_path):
    paper = sample_paper()
    first = paper_index(paper, cache_dir=tmp_path)
    changed = paper.model_copy(update={"page_texts": [*paper.page_texts[:-1], "A new last page of text."]})
    assert paper_index(changed, cache_dir=tmp_path).fingerprint != first.fingerprint
    folder = index_folder(tmp_path, paper, first.fingerprint)
    (folder / "passages.json").write_text("{not json", encoding="utf-8")
    rebuilt = paper_index(paper, cache_dir=tmp_path)
    assert rebuilt.search("MNIST")[0].passage.page == 4


# --------------------------------------------------------------------------- the question set


def test_question_set_covers_enough_papers_and_both_languages():
    assert len(ANSWERABLE) >= 60
    assert len({q.paper for q in ANSWERABLE}) >= 12
    assert Counter(q.lang for q in ANSWERABLE).keys() == {"en", "zh"}
    assert sum(q.answer is None for q in QUESTIONS) >= 10
    assert len({q.question for q in QUESTIONS}) == len(QUESTIONS)


@pytest.fixture(scope="module")
def corpus_papers(tmp_path_factory) -> dict[str, Paper]:
    from chatpaper.reading import read_paper
    from chatpaper.settings import Settings

    root = tmp_path_factory.mktemp("ask-corpus")
    settings = Settings(cache_dir=root / "cache")
    return {name: read_paper(CORPUS_PDFS / name, out_dir=root / Path(name).stem, settings=settings)
            for name in sorted({q.paper for q in QUESTIONS})}


@needs_corpus
@pytest.mark.corpus
@pytest.mark.slow
def test_every_gold_sentence_is_printed_on_its_page(corpus_papers):
    missing = [(q.paper, q.page, q.answer[:50]) for q in ANSWERABLE
               if squash(q.answer) not in squash(corpus_papers[q.paper].page_texts[q.page - 1])]
    assert missing == []


@needs_corpus
@pytest.mark.corpus
@pytest.mark.slow
def test_retrieval_finds_the_gold_passage_in_the_top_five(corpus_papers):
    indexes = {name: PassageIndex.build(paper_passages(paper)) for name, paper in corpus_papers.items()}
    ranks = {lang: [gold_rank(indexes[q.paper].search(q.question, k=5), q) for q in ANSWERABLE if q.lang == lang]
             for lang in ("en", "zh")}
    assert scores(ranks["en"] + ranks["zh"])["recall@5"] >= 0.9  # the target
    assert scores(ranks["zh"])["recall@5"] >= 0.9

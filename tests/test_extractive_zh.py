"""Offline (extractive) mode on Chinese papers, and the picking rules of issue 12, each a general rule."""
from __future__ import annotations

import json

import pytest

from chatpaper.chain import summarize
from chatpaper.chain.guards import iter_points
from chatpaper.extractive import ExtractiveRunner
from chatpaper.extractive.cues import about_others, is_limitation
from chatpaper.extractive.sentences import normalise, read_sentences
from chatpaper.extractive.stages import extract_digest
from chatpaper.models import Section
from chatpaper.settings import Settings
from tests.conftest import CORPUS
from tests.test_extractive import CORPUS_PAPERS, PAGE1, PAGE2, PAGE3, _sections, all_points, make_paper, parse
from tests.zh_paper import ABSTRACT_EN, zh_paper


def texts(paper) -> list[str]:
    return [s.text for s in read_sentences(paper).sentences]


def quotable(paper) -> list[str]:
    return [s.text for s in read_sentences(paper).sentences if s.quality > 0]


def cjk(text: str) -> bool:
    return sum("\u4e00" <= ch <= "\u9fff" for ch in text) > 0.3 * len(text)


# --------------------------------------------------------------------------- sentences


def test_chinese_sentences_end_at_the_full_stop_exclamation_question_mark_and_semicolon():
    found = texts(zh_paper())
    assert "然而，现有方法的推理延迟较高，限制了它们在手机上的使用；" in found
    assert "此前的网络剪枝工作降低了计算代价，但在罕见标签上损失了精度[2]。" in found
    assert "解码器使用线性分类器根据池化后的稀疏编码预测每个标签！" in found
    assert "罕见标签在损失函数中获得更大的权重，以免解码器忽略它们。" in found


def test_chinese_set_with_latin_punctuation_still_splits_between_cjk_characters():
    page = ("计算机动画中包含关键姿态的动画帧称为关键帧, 其他帧称为过渡帧或中间帧.通常在动画制作过程中首先创建关键帧,"
            "然后由关键帧插值合成中间帧.三维人体运动数据由运动捕获系统对人体各部位运动进行采样获得.\n")
    found = texts(make_paper(pages=[page], sections=[], figures=[], title="运动数据压缩"))
    assert found == ["计算机动画中包含关键姿态的动画帧称为关键帧, 其他帧称为过渡帧或中间帧.",
                     "通常在动画制作过程中首先创建关键帧,然后由关键帧插值合成中间帧.",
                     "三维人体运动数据由运动捕获系统对人体各部位运动进行采样获得."]


def test_notes_references_and_thanks_of_a_chinese_paper_are_never_quoted():
    page = ("收稿日期：2017-03-16；定稿日期：2017-04-13；基金项目：国家自然科学基金（61331011）资助项目。\n"
            "作者简介：殷昊（1992—），男，硕士研究生，主要研究方向为自然语言处理。\n"
            "本文提出了一种基于多通道长短时记忆网络的不平衡情绪分类方法。\n"
            "感谢实验室的各位同学在实验中给予我的全方位的指导和帮助。\n"
            "[1] 王五. 图像标注综述[J]. 计算机学报, 2020, 43(1): 1-20.\n"
            "李四. 图像标注的一种新方法[ J] .电子学报, 2007, 35 (1):84-90.\n")
    assert quotable(make_paper(pages=[page], sections=[], figures=[], title="情绪分类")) == [
        "本文提出了一种基于多通道长短时记忆网络的不平衡情绪分类方法。"]


def test_a_block_that_starts_mid_sentence_is_not_a_sentence():
    """A column, page or figure break: the first block stops without an ending, the next one goes on."""
    page = ("本文提出了一种基于稀疏编码的快速图像标注方法，在多个公开数据集上的实验结果表明该方法能够\n"
            "\n"
            "图1 方法框架\n")
    page2 = ("显著降低推理延迟并保持较高的标注精度。\n"
             "我们进一步分析了模型在不同参数设置下的表现，并讨论了其局限性。\n")
    paper = make_paper(pages=[page, page2], sections=[], figures=[], title="图像标注")
    assert quotable(paper) == ["我们进一步分析了模型在不同参数设置下的表现，并讨论了其局限性。"]


def test_a_map_of_a_chinese_paper_is_not_content():
    page = ("本文结构安排如下：第2节介绍相关工作，第3节介绍本文方法，第4节给出实验结果。\n"
            "第三节介绍本文提出的基于多通道神经网络的不平衡分类方法；\n"
            "本文提出了一种基于多通道长短时记忆网络的不平衡情绪分类方法。\n")
    assert quotable(make_paper(pages=[page], sections=[], figures=[], title="情绪分类")) == [
        "本文提出了一种基于多通道长短时记忆网络的不平衡情绪分类方法。"]


# --------------------------------------------------------------------------- the digest of a Chinese paper


def test_a_chinese_paper_is_digested_from_its_chinese_sentences_with_its_printed_keywords():
    paper = zh_paper()
    d = extract_digest(paper)
    pages = [normalise(t) for t in paper.page_texts]
    for field, point in all_points(d):
        assert point.text and point.pages, field
        assert point.text in pages[point.pages[0] - 1], field
        assert cjk(point.text), f"{field} quotes the English abstract: {point.text!r}"
        assert point.text not in ABSTRACT_EN
    assert d.metadata.keywords == ["图像标注", "稀疏编码", "快速推理"]
    assert "本文提出" in d.summary.one_line.text
    # the summary's result is the abstract's sentence; the conclusion's, the conclusion's own
    assert d.summary.performance.text == "实验结果表明，该方法在PhotoTags数据集上的准确率达到91.4%，速度是ResNet-50的3.2倍。"
    assert d.conclusion.performance.text == "本文方法的top-1准确率达到91.4%，比剪枝基线高4.1个百分点。"


def test_the_offline_chinese_digest_verifies_every_quote_and_needs_no_note(tmp_path):
    digest = summarize(zh_paper(), provider=ExtractiveRunner(), lang="zh", settings=Settings(cache_dir=tmp_path),
                       cache=False)
    assert digest.provenance.points_verified == digest.provenance.points > 0
    assert not any("不会译成中文" in w or "own language" in w for w in digest.provenance.warnings)


# --------------------------------------------------------------------------- issue 12: picks, as rules


def test_a_sentence_about_a_cited_work_is_never_this_papers_performance():
    cited = ("AdVerb [16] uses audio-visual cues for reverberation, outperforming traditional methods by 12.5% "
             "on the SoundSpaces benchmark.")
    assert about_others(cited)
    page1 = PAGE1.replace("Previous work on network pruning", cited + "\nPrevious work on network pruning")
    page1 = page1.replace("TinyNet achieves 91.4% accuracy on the PhotoTags benchmark while running 3.2x faster "
                          "than ResNet-50.\n", "")
    d = extract_digest(make_paper(pages=[page1, PAGE2, PAGE3]))
    assert cited not in {d.summary.performance.text, d.conclusion.performance.text}
    assert cited not in {p.text for p in d.summary.key_takeaways}


def test_a_limitation_is_never_the_workload():
    limit = "Third, currently, our method is not able to work in real-time on videos with many tags."
    assert is_limitation(limit) and is_limitation("目前本文方法还无法处理实时视频。")
    assert not is_limitation("We evaluate TinyNet on the PhotoTags and OpenTags benchmarks with five random seeds.")
    page3 = PAGE3.replace("Future work will extend", "We conduct extensive experiments on tagging benchmarks. "
                          + limit + "\nFuture work will extend")
    page3 = page3.replace("We evaluate TinyNet on the PhotoTags and OpenTags benchmarks with five random seeds.\n", "")
    d = extract_digest(make_paper(pages=[PAGE1, PAGE2, page3]))
    assert d.conclusion.workload.text != limit
    assert not is_limitation(d.conclusion.workload.text)


def test_bullets_end_sentences_and_their_fragments_are_not_kept():
    page = ("1 Introduction\n"
            "Our contributions are as follows: • We present TinyNet, a sparse coding network for fast image tagging. "
            "• Empirical Validation. We evaluate TinyNet on two public tagging benchmarks with five random seeds.\n")
    paper = make_paper(pages=[page], sections=[Section(title="Introduction", number="1", level=1, page=1,
                                                       role="introduction")], figures=[])
    found = quotable(paper)
    assert "We present TinyNet, a sparse coding network for fast image tagging." in found
    assert "We evaluate TinyNet on two public tagging benchmarks with five random seeds." in found
    assert not any("•" in t or "Empirical Validation" in t or t.endswith("follows:") for t in found)


def test_the_same_sentence_is_never_used_for_two_fields_while_another_is_left():
    d = extract_digest(make_paper())
    quoted = [p.text for _, p in all_points(d)]
    assert len(quoted) == len(set(quoted)), [q for q in quoted if quoted.count(q) > 1]
    for pages in ([PAGE1], [PAGE1.split("1 Introduction")[0]]):  # fewer sentences than fields
        paper = make_paper(pages=pages, sections=[s for s in _sections() if s.page <= len(pages)])
        quoted = [p.text for _, p in all_points(extract_digest(paper))]
        if len(quoted) != len(set(quoted)):  # a repeat only once every sentence is used
            assert set(quotable(paper)) <= set(quoted)


# --------------------------------------------------------------------------- the corpus


def _zh_manifest() -> list[str]:
    path = CORPUS / "manifest-zh.json"
    return [e["file"] for e in json.loads(path.read_text())] if path.exists() else ["(corpus absent)"]


@pytest.mark.parametrize("name", CORPUS_PAPERS + _zh_manifest())
def test_no_corpus_digest_quotes_one_sentence_in_two_fields(tmp_path_factory, name):
    if not (CORPUS / "pdfs" / name).exists():
        pytest.skip("../shared/corpus is absent (a user's clone): corpus tests need it")
    d = extract_digest(parse(name, tmp_path_factory))
    quoted = [p.text for _, p in all_points(d)]
    assert len(quoted) == len(set(quoted)), [q for q in quoted if quoted.count(q) > 1]


@pytest.mark.parametrize("name", _zh_manifest())
def test_a_chinese_corpus_paper_gets_a_filled_chinese_digest_with_verified_quotes(tmp_path_factory, tmp_path, name):
    if not (CORPUS / "pdfs" / name).exists():
        pytest.skip("../shared/corpus is absent (a user's clone): corpus tests need it")
    paper = parse(name, tmp_path_factory)
    digest = summarize(paper, provider=ExtractiveRunner(), lang="zh", settings=Settings(cache_dir=tmp_path),
                       cache=False)
    assert digest.metadata and digest.summary and digest.methods and digest.conclusion
    assert digest.metadata.title_translation == paper.title and 3 <= len(digest.metadata.keywords) <= 6
    points = [p for stage in (digest.summary, digest.methods, digest.conclusion) for _, p in iter_points(stage)]
    assert all(p.text.strip() and p.pages for p in points)
    assert digest.provenance.points_verified == digest.provenance.points == len(points)
    assert sum(cjk(p.text) for p in points) >= 0.9 * len(points)  # quoted in the paper's language
    assert len(digest.summary.key_takeaways) >= 2
    assert not any("不会译成中文" in w for w in digest.provenance.warnings)

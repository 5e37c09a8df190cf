"""The chain on a Chinese paper: the paper's own title and abstract, its printed English title, quoted Chinese."""
from __future__ import annotations

import json

from fake_llm import ScriptedProvider, stage_of, valid_reply

from chatpaper.chain import guards, summarize
from chatpaper.chain.pipeline import build_header, printed_title
from chatpaper.extractive import ExtractiveRunner
from chatpaper.models import MetadataStage, Point, SummaryStage
from tests.test_extractive import make_paper as english_paper
from tests.zh_paper import ABSTRACT, ABSTRACT_EN, TITLE, TITLE_EN, zh_paper

QUOTE = (3, "本文方法的top-1准确率达到91.4%，比剪枝基线高4.1个百分点。")
MODEL_TITLE = "Sparse Coding Image Annotation (the model's own translation)"


def scripted(lang: str) -> ScriptedProvider:
    def reply(request):
        stage = stage_of(request) or "metadata"
        if stage == "metadata":
            return json.dumps({"title_translation": MODEL_TITLE if lang == "en" else "模型自己译的标题",
                               "keywords": ["image tagging", "sparse codes", "fast inference"]})
        return valid_reply(stage, lang=lang, page=3, quote=QUOTE)

    return ScriptedProvider(reply)


def test_the_header_and_the_prompt_carry_the_chinese_title_and_abstract(settings):
    provider = scripted("en")
    digest = summarize(zh_paper(), provider=provider, lang="en", settings=settings, cache=False)
    assert digest.header.title == TITLE and digest.header.abstract == ABSTRACT
    assert digest.header.authors == ["张三", "李四"]
    prompt = provider.requests_for("summary")[0].prompt
    assert f"Title: {TITLE}\n" in prompt
    assert f"Abstract [p. 1]: {ABSTRACT}" in prompt  # the main abstract is the Chinese one


def test_the_prompt_carries_the_printed_english_title_and_abstract_beside_the_chinese_ones(settings):
    provider = scripted("en")
    summarize(zh_paper(), provider=provider, lang="en", settings=settings, cache=False)
    for request in provider.history:  # every stage reads the same paper
        paper = request.prompt.split("</paper>")[0]
        assert paper.index(f"Abstract [p. 1]: {ABSTRACT}") < paper.index(
            f"English title (printed in the paper): {TITLE_EN}") < paper.index(f"English abstract [p. 1]: {ABSTRACT_EN}")


def test_the_english_abstract_is_marked_with_the_page_it_is_printed_on(settings):
    """Some journals print the English block at the end: the page the parser found it on is cited."""
    paper = zh_paper()
    last = paper.page_texts[-1] + "\nAbstract: " + ABSTRACT_EN
    paper = paper.model_copy(update={"page_texts": [paper.page_texts[0].replace(ABSTRACT_EN, ""),
                                                    paper.page_texts[1], last], "abstract_en_page": 3})
    provider = scripted("en")
    summarize(paper, provider=provider, lang="en", settings=settings, cache=False)
    assert f"English abstract [p. 3]: {ABSTRACT_EN}" in provider.requests_for("summary")[0].prompt


def test_without_an_english_block_the_prompt_has_no_english_lines(settings):
    provider = scripted("en")
    summarize(zh_paper(title_en="", abstract_en=""), provider=provider, lang="en", settings=settings, cache=False)
    assert "English title" not in provider.history[0].prompt and "English abstract" not in provider.history[0].prompt
    english = ScriptedProvider(lambda request: valid_reply(stage_of(request) or "metadata", page=1))
    summarize(english_paper(), provider=english, lang="en", settings=settings, cache=False)
    assert "English abstract" not in english.history[0].prompt


def test_english_output_takes_the_printed_english_title_not_the_models(settings):
    digest = summarize(zh_paper(), provider=scripted("en"), lang="en", settings=settings, cache=False)
    assert digest.metadata.title_translation == TITLE_EN
    assert digest.metadata.keywords == ["image tagging", "sparse codes", "fast inference"]
    assert digest.header.title == TITLE  # the header stays the paper's main title


def test_chinese_output_of_a_chinese_paper_keeps_its_own_title(settings):
    digest = summarize(zh_paper(), provider=scripted("zh"), lang="zh", settings=settings, cache=False)
    assert digest.metadata.title_translation == TITLE


def test_without_a_printed_english_title_the_models_translation_stays(settings):
    digest = summarize(zh_paper(title_en=""), provider=scripted("en"), lang="en", settings=settings, cache=False)
    assert digest.metadata.title_translation == MODEL_TITLE


def test_an_english_paper_is_left_to_the_model():
    paper = english_paper()
    assert printed_title(paper, "en") is None and printed_title(paper, "zh") is None
    assert printed_title(zh_paper(), "fr") is None  # no French title is printed: the model translates


def test_a_cached_metadata_stage_gets_the_printed_title_too(settings):
    """A cache filled before the rule (or by another run) still shows the paper's English title."""
    paper = zh_paper()
    first = summarize(paper, provider=scripted("en"), lang="en", settings=settings)
    again = summarize(paper, provider=ScriptedProvider([]), lang="en", settings=settings)
    assert first.metadata.title_translation == again.metadata.title_translation == TITLE_EN
    assert {r.status for r in again.provenance.stages} == {"cached"}


def test_offline_english_digest_of_a_chinese_paper_uses_the_printed_english_title(settings):
    digest = summarize(zh_paper(), provider=ExtractiveRunner(), lang="en", settings=settings, cache=False)
    assert digest.metadata.title_translation == TITLE_EN
    zh = summarize(zh_paper(), provider=ExtractiveRunner(), lang="zh", settings=settings, cache=False)
    assert zh.metadata.title_translation == TITLE


# --------------------------------------------------------------------------- the language guard


def _summary(text: str) -> SummaryStage:
    point = Point(text=text, pages=[1])
    return SummaryStage(one_line=point, key_takeaways=[point] * 5, background=point, past_methods=point,
                        proposed_method=point, performance=point)


def test_english_output_may_quote_the_chinese_paper_verbatim():
    numbers = guards.PaperNumbers(zh_paper())
    text = ("The paper frames tagging as “基于稀疏编码的快速图像标注方法” and reports that “本文方法的top-1准确率达到"
            "91.4%，比剪枝基线高4.1个百分点。” on PhotoTags.")
    assert guards.check_language(_summary(text), "en") != []  # counted as it stands, the quotes swamp it
    assert guards.check_language(_summary(text), "en", quoted_from=numbers.compact) == []


def test_chinese_prose_in_english_output_is_still_the_wrong_language():
    numbers = guards.PaperNumbers(zh_paper())
    unquoted = "本文提出了一种基于稀疏编码的方法，在数据集上取得了很好的结果，速度也更快。"
    (issue,) = guards.check_language(_summary(unquoted), "en", quoted_from=numbers.compact)
    assert issue.kind == "language" and issue.retry
    invented = "The paper says “这个方法在所有的任务上都是最好的方法之一”, which it does not."  # not in the paper
    assert guards.check_language(_summary(invented), "en", quoted_from=numbers.compact) != []


def test_quoted_chinese_is_the_right_language_for_a_chinese_digest():
    numbers = guards.PaperNumbers(zh_paper())
    quoted = "“本文方法的top-1准确率达到91.4%，比剪枝基线高4.1个百分点。”"
    assert guards.check_language(_summary(quoted), "zh", quoted_from=numbers.compact) == []
    english = "The method reaches 91.4% top-1 accuracy, 4.1 points above the pruned baseline on PhotoTags."
    assert guards.check_language(_summary(english), "zh", quoted_from=numbers.compact) != []


def test_metadata_of_english_output_passes_the_guards_with_the_printed_title():
    paper = zh_paper()
    meta = MetadataStage(title_translation=TITLE_EN, keywords=["图像标注", "稀疏编码", "快速推理"])
    assert guards.check_language(meta, "en", min_share=0.2) == []
    assert guards.check_header(meta, build_header(paper), "en") == []


# --------------------------------------------------------------------------- the offline language note


def _notes(digest) -> list[str]:
    return [w for w in digest.provenance.warnings if "quote" in w.lower() or "引用" in w]


def test_a_chinese_paper_quoted_in_a_chinese_digest_needs_no_note(settings):
    digest = summarize(zh_paper(), provider=ExtractiveRunner(), lang="zh", settings=settings, cache=False)
    assert _notes(digest) == []


def test_a_chinese_paper_in_an_english_digest_says_it_is_quoted_in_chinese(settings):
    digest = summarize(zh_paper(), provider=ExtractiveRunner(), lang="en", settings=settings, cache=False)
    (note,) = _notes(digest)
    assert "own language" in note


def test_an_english_paper_in_a_chinese_digest_keeps_its_note(settings):
    digest = summarize(english_paper(), provider=ExtractiveRunner(), lang="zh", settings=settings, cache=False)
    (note,) = _notes(digest)
    assert "不会译成中文" in note

"""Every guard of the chain, driven by adversarial scripted replies (no network, no model)."""
from __future__ import annotations

import json

import pytest
from fake_llm import ScriptedProvider, valid_reply

from chatpaper.chain import guards, summarize
from chatpaper.models import Header, MetadataStage, Point, SummaryStage

TITLE = "ADADELTA: An Adaptive Learning Rate Method"


def script(lang="en", **stage_replies):
    """Valid replies for every stage, except the stages given (each a list of replies in order)."""
    replies = {stage: [valid_reply(stage, lang=lang, title=TITLE)] for stage in
               ("metadata", "summary", "methods", "conclusion")}
    replies.update(stage_replies)
    return ScriptedProvider(replies)


def summary_json(lang="en", **fields):
    data = json.loads(valid_reply("summary", lang=lang))
    for name, value in fields.items():
        data[name] = value
    return json.dumps(data, ensure_ascii=False)


def conclusion_json(**fields):
    data = json.loads(valid_reply("conclusion"))
    data.update(fields)
    return json.dumps(data)


def record(digest, stage):
    return next(r for r in digest.provenance.stages if r.name == stage)


def run(paper, provider, settings, lang="en"):
    return summarize(paper, provider=provider, lang=lang, settings=settings, cache=False)


# --------------------------------------------------------------------------- invalid JSON


def test_bad_json_is_retried_once_with_a_corrective_message(paper, settings):
    provider = script(methods=["Sure! Here are the steps: (1) average (2) scale", valid_reply("methods")])
    digest = run(paper, provider, settings)

    requests = provider.requests_for("methods")
    assert len(requests) == 2
    assert requests[0].history == []
    role, said = requests[1].history[0]
    assert (role, said) == ("assistant", "Sure! Here are the steps: (1) average (2) scale")
    assert requests[1].history[1][0] == "user" and "JSON" in requests[1].history[1][1]
    assert digest.methods is not None and len(digest.methods.steps) == 3
    assert record(digest, "methods").status == "ok" and record(digest, "methods").warnings == []


def test_bad_json_twice_fails_only_that_stage_with_a_sentence(paper, settings):
    provider = script(summary=['{"one_line": "missing everything"}', "not json at all"])
    digest = run(paper, provider, settings)

    assert len(provider.requests_for("summary")) == 2
    assert digest.summary is None
    rec = record(digest, "summary")
    assert rec.status == "failed" and "not valid JSON" in rec.error and "\n" not in rec.error
    assert digest.metadata and digest.methods and digest.conclusion  # the others stand


def test_schema_mismatch_names_the_missing_fields(paper, settings):
    provider = script(conclusion=['{"significance": {"text": "Big.", "pages": [1]}}', valid_reply("conclusion")])
    run(paper, provider, settings)
    correction = provider.requests_for("conclusion")[1].history[1][1]
    assert "innovation" in correction and "workload" in correction


def test_json_in_markdown_fences_is_accepted_without_a_retry(paper, settings):
    provider = script(methods=["```json\n" + valid_reply("methods") + "\n```"])
    digest = run(paper, provider, settings)
    assert len(provider.requests_for("methods")) == 1 and digest.methods is not None


# --------------------------------------------------------------------------- placeholders


def test_seed_placeholders_are_retried_then_kept_with_a_warning(paper, settings):
    seed_like = conclusion_json(
        significance={"text": "这篇文章的意义在于提出了对于[领域]的新思路", "pages": [5]},
        innovation={"text": "The innovation is a brand new [创新点].", "pages": [2]},
    )
    provider = script(conclusion=[seed_like, seed_like])
    digest = run(paper, provider, settings)

    assert len(provider.requests_for("conclusion")) == 2
    assert "[领域]" in provider.requests_for("conclusion")[1].history[1][1]
    rec = record(digest, "conclusion")
    assert rec.status == "ok" and any("placeholder" in w.lower() for w in rec.warnings)
    assert digest.conclusion is not None  # kept, not dropped


@pytest.mark.parametrize("text", ["(no authors listed)", "Authors: Not provided", "None provided",
                                  "The field is xxx.", "N/A", "[...]", "<background, one sentence>", "未提供", ""])
def test_placeholder_patterns(text):
    result = SummaryStage.model_validate_json(summary_json(background={"text": text, "pages": [1]}))
    assert guards.find_placeholders(result), text


def test_real_sentences_are_not_placeholders():
    text = ("ADADELTA reaches 1.83% test error on MNIST [23] without a learning rate, where SGD needs "
            "x = 0.01 and the exponent p is provided by the window size w.")
    result = SummaryStage.model_validate_json(summary_json(background={"text": text, "pages": [1]}))
    assert guards.find_placeholders(result) == []


def test_a_fixed_retry_leaves_no_warning(paper, settings):
    provider = script(summary=[summary_json(past_methods={"text": "Not provided", "pages": [2]}),
                               valid_reply("summary")])
    digest = run(paper, provider, settings)
    assert record(digest, "summary").warnings == []
    assert digest.summary.past_methods.text != "Not provided"


def test_each_guard_retries_only_once(paper, settings):
    bad = summary_json(background={"text": "xxx", "pages": [1]})
    provider = script(summary=[bad, bad, bad, bad])
    run(paper, provider, settings)
    assert len(provider.requests_for("summary")) == 2


def test_different_faults_each_earn_their_own_retry(paper, settings):
    provider = script(summary=[summary_json(background={"text": "xxx", "pages": [1]}), "{broken",
                               valid_reply("summary")])
    digest = run(paper, provider, settings)
    assert len(provider.requests_for("summary")) == 3
    assert record(digest, "summary").warnings == [] and digest.summary.background.text != "xxx"


# --------------------------------------------------------------------------- language


def test_english_reply_to_a_chinese_request_is_retried_in_chinese(paper, settings):
    provider = script(lang="zh", methods=[valid_reply("methods", lang="en"), valid_reply("methods", lang="zh")])
    digest = run(paper, provider, settings, lang="zh")

    requests = provider.requests_for("methods")
    assert len(requests) == 2 and "Simplified Chinese" in requests[1].history[1][1]
    assert record(digest, "methods").warnings == []
    assert "滑动平均" in digest.methods.steps[0].text


def test_wrong_language_twice_is_kept_with_a_warning(paper, settings):
    provider = script(lang="zh", summary=[valid_reply("summary", lang="en")] * 2)
    digest = run(paper, provider, settings, lang="zh")
    assert digest.summary is not None
    assert any("not written in Simplified Chinese" in w for w in record(digest, "summary").warnings)


def test_chinese_with_english_technical_terms_passes_the_script_check():
    text = ("本文提出了AdvUnlearn框架，结合对抗性训练来增强机器unlearning的robustness，并使用utility-retaining "
            "regularization来平衡概念擦除的robustness和模型效用。")
    assert guards.script_share(text, "zh") >= guards.MIN_NATIVE_SHARE


def test_chinese_reply_to_an_english_request_fails_the_script_check():
    assert guards.script_share("本文提出了一种新的自适应学习率方法，在 MNIST 上取得了良好的结果。", "en") < 0.5


def test_script_check_knows_other_scripts():
    assert guards.script_share("Мы предлагаем новый метод адаптивной скорости обучения для SGD.", "ru") > 0.8
    assert guards.script_share("We propose a new adaptive learning rate method for SGD training.", "ru") == 0


# --------------------------------------------------------------------------- pages


def test_pages_outside_the_paper_are_retried_then_dropped(paper, settings):
    bad = summary_json(performance={"text": "The test error was 1.83% on MNIST.", "pages": [4, 99]},
                       background={"text": "Learning rates are tuned by hand.", "pages": [0]})
    provider = script(summary=[bad, bad])
    digest = run(paper, provider, settings)

    assert "99" in provider.requests_for("summary")[1].history[1][1]
    assert digest.summary.performance.pages == [4]
    assert digest.summary.background.pages == []
    all_pages = [p for point in [digest.summary.one_line, *digest.summary.key_takeaways] for p in point.pages]
    assert all(1 <= p <= paper.pages for p in all_pages)
    assert any("Dropped page numbers" in w and "99" in w for w in record(digest, "summary").warnings)


# --------------------------------------------------------------------------- header contradictions


def test_invented_authors_are_caught_and_retried(paper, settings):
    lie = summary_json(one_line={"text": "This paper by John Smith and Jane Doe proposes ADADELTA.", "pages": [1]})
    provider = script(summary=[lie, lie])
    digest = run(paper, provider, settings)

    correction = provider.requests_for("summary")[1].history[1][1]
    assert "John Smith" in correction and "Matthew D. Zeiler" in correction
    assert any("John Smith" in w for w in record(digest, "summary").warnings)


def test_title_translated_back_into_another_title_is_caught(settings):
    header = Header(title="DEEM: Diffusion Models Serve as the Eyes of Large Language Models for Image Perception",
                    authors=["Run Luo"])
    seed = MetadataStage(title_translation="DEEM：使用扩散模型对大型多模态模型的图像感知进行增强 (DEEM: Enhancing Image "
                                           "Perception of Large Multimodal Models with Diffusion Models)",
                         keywords=["diffusion models"])
    good = MetadataStage(title_translation="DEEM：扩散模型作为大语言模型的眼睛用于图像感知 (DEEM: Diffusion Models Serve "
                                           "as the Eyes of Large Language Models for Image Perception)",
                         keywords=["diffusion models"])
    assert guards.check_header(seed, header, "zh")
    assert guards.check_header(good, header, "zh") == []


def test_english_title_must_stay_the_title(paper, settings):
    wrong = json.dumps({"title_translation": "ADADELTA: Learning Rates Considered Harmful", "keywords": ["SGD"]})
    provider = script(metadata=[wrong, valid_reply("metadata", title=TITLE)])
    digest = run(paper, provider, settings)
    assert len(provider.requests_for("metadata")) == 2
    assert digest.metadata.title_translation == TITLE


def test_true_author_mentions_and_prose_about_authors_pass():
    header = Header(title=TITLE, authors=["Matthew D. Zeiler"])
    result = SummaryStage.model_validate_json(summary_json(
        one_line={"text": "This paper by Matthew Zeiler proposes ADADELTA.", "pages": [1]},
        background={"text": "The authors are motivated by costly tuning; Duchi et al. proposed ADAGRAD.",
                    "pages": [1]}))
    assert guards.check_header(result, header, "en") == []


# --------------------------------------------------------------------------- numbers (soft)


def test_a_number_not_in_the_paper_gives_a_warning_without_a_retry(paper, settings):
    made_up = summary_json(performance={"text": "ADADELTA reaches 1.83% test error, 37.5% better than SGD.",
                                        "pages": [4]})
    provider = script(summary=[made_up])
    digest = run(paper, provider, settings)

    assert len(provider.requests_for("summary")) == 1
    warnings = record(digest, "summary").warnings
    assert any("37.5" in w for w in warnings) and not any("1.83" in w for w in warnings)


def test_every_point_without_pages_is_reported():
    result = SummaryStage.model_validate_json(summary_json(background={"text": "Background.", "pages": []}))
    (issue,) = guards.check_evidence(result)
    assert not issue.retry and "background" in issue.message


def test_drop_bad_pages_keeps_good_ones():
    result = SummaryStage.model_validate_json(summary_json(one_line={"text": "x", "pages": [3, 3, 0, 7]}))
    fixed, dropped = guards.drop_bad_pages(result, 6)
    assert fixed.one_line == Point(text="x", pages=[3]) and dropped == [0, 7]


def test_formulas_do_not_count_against_english():
    text = "Compute E[g2]t = ρE[g2]t−1 + (1 − ρ) g2 t where ρ is a decay constant and ε a small constant."
    assert guards.script_share(text, "en") >= guards.MIN_LATIN_SHARE


# --------------------------------------------------------------------------- content-free replies (a 135M model's)


def test_bare_numbers_and_a_runaway_list_are_retried_then_trimmed(paper, settings):
    runaway = summary_json(key_takeaways=[{"text": str(i), "pages": []} for i in range(1, 25)])
    provider = script(summary=[runaway, runaway])
    digest = run(paper, provider, settings)

    correction = provider.requests_for("summary")[1].history[1][1]
    assert "has no words" in correction and "24 items" in correction
    assert any("cut from 24 to 8" in w for w in record(digest, "summary").warnings)
    # Bare numbers say nothing: the eight kept items are dropped as not distinct, never shown as points.
    assert digest.summary.key_takeaways == []
    assert record(digest, "summary").not_distinct == [f"key_takeaways[{i}]" for i in range(8)]


def test_the_title_echoed_in_every_field_is_caught():
    echo = {"text": TITLE, "pages": [1]}
    result = SummaryStage.model_validate_json(summary_json(one_line=echo, background={"text": "Tuning is costly.",
                                                                                        "pages": [1]}))
    (issue,) = guards.check_content(result, TITLE)
    assert "one_line.text only repeats the paper's title" in issue.message


def test_one_sentence_in_every_field_is_caught():
    same = {"text": "The method adapts the learning rate.", "pages": [2]}
    data = json.loads(conclusion_json(innovation=same, performance=same, workload=same))
    from chatpaper.models import ConclusionStage

    (issue,) = guards.check_content(ConclusionStage.model_validate(data), TITLE)
    assert "performance.text repeats innovation.text" in issue.message


def test_good_replies_have_content():
    from chatpaper.models import ConclusionStage, MethodsStage

    for model, stage in ((SummaryStage, "summary"), (MethodsStage, "methods"), (ConclusionStage, "conclusion")):
        for lang in ("en", "zh"):
            assert guards.check_content(model.model_validate_json(valid_reply(stage, lang=lang)), TITLE) == []


def test_repeated_keywords_are_merged():
    result = MetadataStage(title_translation=TITLE, keywords=["ADADELTA", "adadelta", "method_adadelta",
                                                              "method adadelta", "SGD"])
    trimmed, _ = guards.trim_lists(result)
    assert trimmed.keywords == ["ADADELTA", "method_adadelta", "SGD"]


def test_numbers_inside_chinese_text_are_checked(paper):
    result = SummaryStage.model_validate_json(summary_json(
        lang="zh", performance={"text": "在MNIST上测试误差为1.83%，比SGD低42.5%。", "pages": [4]}))
    (issue,) = guards.check_numbers(result, guards.PaperNumbers(paper))
    assert "42.5" in issue.message and "1.83" not in issue.message


@pytest.mark.parametrize("text", [
    "The authors note that ground-truth labels are not available for the speech dataset, so only loss is reported.",
    "论文未提供代码链接，但给出了完整的超参数设置，便于复现。",
])
def test_sentences_that_mention_missing_things_are_not_placeholders(text):
    result = SummaryStage.model_validate_json(summary_json(background={"text": text, "pages": [1]}))
    assert guards.find_placeholders(result) == []


def test_the_first_balanced_json_object_is_taken_whatever_runs_on_after_it():
    from chatpaper.llm.jsontext import first_json_object, is_cut

    obj = '{"text": "a } brace and a \\" quote", "pages": [1]}'
    assert first_json_object(obj + ' and then {"second": 1} }') == obj
    assert first_json_object("Sure {not json} here: ```json\n" + obj + "\n```") == obj
    assert first_json_object('{"text": "cut at the li') is None
    assert is_cut('{"text": "cut at the li') and not is_cut(obj + " trailing") and not is_cut("no json at all")


def test_a_cut_object_keeps_the_members_completed_before_the_cut():
    from chatpaper.llm.jsontext import complete_members

    assert complete_members('{"a": {"text": "x, y", "pages": [1, 2]}, "b": [1, 2], "c": {"text": "cu') == {
        "a": {"text": "x, y", "pages": [1, 2]}, "b": [1, 2]}
    assert complete_members('{"a": {"text": "cut') == {}
    assert complete_members("no object") is None

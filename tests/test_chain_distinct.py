"""A small model's repeating replies (issue 14): after the last retry, no copy is shown as content.

The scripted replies reproduce what Qwen2.5-Coder-1.5B wrote for the ADADELTA paper: the summary's
background, past methods, proposed method and performance are its one-line sentence word for word,
and the conclusion's workload repeats its significance, on the first try and on every retry.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fake_llm import ScriptedProvider, canned_reply, sample_paper, stage_of

from chatpaper.chain import summarize
from chatpaper.chain.distinct import NOT_DISTINCT, mark_repeats, not_distinct_count, sentences
from chatpaper.chain.guards import iter_texts
from chatpaper.llm.base import LLMRequest
from chatpaper.models import Point, SummaryStage
from chatpaper.render.json import load_json, render_json
from chatpaper.render.markdown import render_markdown
from chatpaper.render.post import PostMeta, PostPaper, render_post
from chatpaper.settings import Settings

SENTENCE = {
    "en": "ADADELTA adapts the learning rate per dimension using only first order information.",
    "zh": "ADADELTA 只用一阶信息为每个维度自适应地调整学习率。",
}
SIGNIFICANCE = {
    "en": "The method removes the need to tune a global learning rate by hand.",
    "zh": "该方法免去了手动调节全局学习率的麻烦。",
}
TAKEAWAYS = {
    "en": ["ADADELTA needs no manual learning rate.", "It is robust to noisy gradients.",
           "It has little overhead over SGD.", "It reaches 1.83% test error on MNIST.",
           "It works for large scale speech recognition."],
    "zh": ["ADADELTA 不需要手动设置学习率。", "它对噪声梯度具有鲁棒性。", "它相对 SGD 几乎没有额外开销。",
           "它在 MNIST 上达到 1.83% 的测试误差。", "它适用于大规模语音识别。"],
}


def point(text: str) -> dict:
    return {"text": text, "pages": [2]}


def repeating_reply(request, lang: str) -> str:
    """The small model's reply: the same sentence in several fields, whatever the correction says."""
    stage = stage_of(request)
    if stage == "summary":
        s = SENTENCE[lang]
        takeaways = [point(t) for t in TAKEAWAYS[lang]] + [point(TAKEAWAYS[lang][0]), point(s)]
        return json.dumps({"one_line": point(s), "key_takeaways": takeaways, "background": point(s),
                           "past_methods": point(s), "proposed_method": point(s), "performance": point(s)},
                          ensure_ascii=False)
    if stage == "conclusion":
        sig = SIGNIFICANCE[lang]
        other = canned_reply(request, lang=lang, page=2)
        data = json.loads(other)
        data["significance"], data["workload"] = point(sig), point(sig)
        return json.dumps(data, ensure_ascii=False)
    return canned_reply(request, lang=lang, page=2)


def fields_with_text(digest) -> list[tuple[str, str]]:
    out = []
    for stage in ("summary", "methods", "conclusion"):
        result = getattr(digest, stage)
        out += [(f"{stage}.{path}", text) for path, text in iter_texts(result)]
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_repeating_model_never_shows_a_sentence_twice(lang, tmp_path):
    provider = ScriptedProvider(lambda request: repeating_reply(request, lang))
    digest = summarize(sample_paper(), provider=provider, lang=lang, settings=Settings(cache_dir=tmp_path))
    mark = NOT_DISTINCT[lang]

    seen: dict[str, str] = {}
    for path, text in fields_with_text(digest):
        if text == mark:
            continue
        for sentence in sentences(text):
            assert sentence not in seen, f"{path} repeats {seen.get(sentence)}: {sentence}"
            seen[sentence] = path

    s = digest.summary
    assert s.one_line.text == SENTENCE[lang]  # the first place keeps the sentence
    for later in (s.background, s.past_methods, s.proposed_method, s.performance):
        assert later.text == mark and later.pages == []
    assert [p.text for p in s.key_takeaways] == TAKEAWAYS[lang]  # distinct items kept, copies dropped
    assert digest.conclusion.significance.text == SIGNIFICANCE[lang]
    assert digest.conclusion.workload.text == mark

    records = {r.name: r for r in digest.provenance.stages}
    assert records["summary"].not_distinct == ["key_takeaways[5]", "key_takeaways[6]", "background",
                                               "past_methods", "proposed_method", "performance"]
    assert records["conclusion"].not_distinct == ["workload"]
    assert not_distinct_count(digest) == 7
    # The JSON keeps the model's raw reply for debugging, and agrees with the digest.
    back = load_json(render_json(digest))
    assert back.summary.background.text == mark
    assert json.loads(back.provenance.stages[[r.name for r in back.provenance.stages].index("summary")]
                      .raw_reply)["background"]["text"] == SENTENCE[lang]

    md = render_markdown(digest)
    assert md.count(SENTENCE[lang]) == 1  # not even the raw reply leaks into the Markdown
    assert md.count(f"*{mark}*") == 5
    top = md[: md.index(SENTENCE[lang])]  # the notice comes before the digest's first point
    assert "7" in top and "Gemini" in top
    if lang == "zh":
        assert "模型有 7 项未能给出不同的内容" in md
        assert not re.search(r"not distinct", md.split("<details>")[0])  # the reader's language only
    else:
        assert "did not fill 7 fields distinctly" in md

    post = render_post(PostMeta(topic="t", date=digest.provenance.created, lang=lang, provider="scripted"),
                       [PostPaper(digest=digest)])
    assert post.count(SENTENCE[lang]) == 1
    assert f"*{mark}*" in post and ("模型有 7 项" in post if lang == "zh" else "7 fields" in post)


def test_a_distinct_reply_is_left_alone(tmp_path):
    provider = ScriptedProvider(lambda request: canned_reply(request, lang="en"))
    digest = summarize(sample_paper(), provider=provider, lang="en", settings=Settings(cache_dir=tmp_path))
    assert not_distinct_count(digest) == 0
    assert all(r.raw_reply is None for r in digest.provenance.stages)
    assert "distinct" not in render_markdown(digest)


def test_a_field_keeps_its_own_sentences_and_loses_the_copied_one():
    s = SENTENCE["en"]
    stage = SummaryStage(
        one_line=Point(text=s, pages=[1]),
        key_takeaways=[Point(text=t) for t in TAKEAWAYS["en"]],
        background=Point(text="Setting the learning rate by hand is tedious. " + s, pages=[1]),
        past_methods=Point(text="ADAGRAD accumulates squared gradients, so its rate decays to zero.", pages=[2]),
        proposed_method=Point(text=s.upper().replace(".", "!"), pages=[2]),  # case and punctuation are no news
        performance=Point(text="See above.", pages=[4]),  # says nothing of its own
    )
    marked_stage, marked = mark_repeats(stage, "en", "ADADELTA: An Adaptive Learning Rate Method")
    assert marked_stage.background.text == "Setting the learning rate by hand is tedious."
    assert marked_stage.background.pages == [1]
    assert marked_stage.past_methods == stage.past_methods
    assert marked == ["proposed_method", "performance"]


def test_a_field_that_only_repeats_the_title_is_not_distinct():
    title = "ADADELTA: An Adaptive Learning Rate Method"
    stage = SummaryStage(one_line=Point(text=title), key_takeaways=[Point(text=t) for t in TAKEAWAYS["en"]],
                         background=Point(text="the background here."), past_methods=Point(text="past work here."),
                         proposed_method=Point(text="the method here now."),
                         performance=Point(text="the results here now."))
    _, marked = mark_repeats(stage, "en", title)
    assert marked == ["one_line"]


# --------------------------------------------------------------------------- field-only corrections


def test_the_corrective_retry_asks_only_for_the_failed_fields(tmp_path):
    first = repeating_reply(LLMRequest(prompt="", schema_model=SummaryStage), "en")
    fixed = {"key_takeaways": [point(t) for t in TAKEAWAYS["en"]],
             "background": point("Setting a learning rate by hand is tedious and error prone."),
             "past_methods": point("ADAGRAD accumulates squared gradients, so its learning rate decays to zero."),
             "proposed_method": point("ADADELTA accumulates over a window and corrects the units of the update."),
             "performance": point("On MNIST it reaches 1.83% test error, against 2.00% for tuned SGD.")}
    summary_replies = [first, json.dumps(fixed)]

    def reply(request):
        return summary_replies.pop(0) if stage_of(request) == "summary" else canned_reply(request, lang="en")

    provider = ScriptedProvider(reply)
    digest = summarize(sample_paper(), provider=provider, lang="en", settings=Settings(cache_dir=tmp_path))

    asked, retry = provider.requests_for("summary")
    failed = ["key_takeaways", "background", "past_methods", "proposed_method", "performance"]
    assert list(retry.schema_model.model_fields) == failed  # one_line was accepted: not asked again
    assert retry.prompt == asked.prompt and retry.system == asked.system  # the paper prefix is unchanged
    assert retry.history[0] == ("assistant", first)  # the model's own first reply is the context
    correction = retry.history[1][1]
    assert "except for the fields key_takeaways, background, past_methods, proposed_method, performance" in correction
    assert "one_line" not in correction.split("Reply with")[-1]
    assert retry.max_output_tokens < asked.max_output_tokens  # 5 of 6 fields, bounded by their share

    s = digest.summary
    assert s.one_line.text == SENTENCE["en"]  # kept from the first reply
    assert s.background.text == fixed["background"]["text"]
    record = next(r for r in digest.provenance.stages if r.name == "summary")
    assert record.not_distinct == [] and record.raw_reply is None
    assert [a.fields for a in record.attempts] == [list(SummaryStage.model_fields), failed]
    assert all(a.input_tokens > 0 and a.output_tokens > 0 for a in record.attempts)


def test_a_fault_of_the_whole_reply_still_asks_for_all_of_it(tmp_path):
    english = canned_reply(LLMRequest(prompt="", schema_model=SummaryStage), lang="en")
    provider = ScriptedProvider(lambda request: english if stage_of(request) == "summary"
                                else canned_reply(request, lang="zh"))
    summarize(sample_paper(), provider=provider, lang="zh", settings=Settings(cache_dir=tmp_path))
    _asked, retry = provider.requests_for("summary")[:2]
    assert retry.schema_model is SummaryStage  # the wrong language is everywhere: the whole reply again
    assert "Simplified Chinese" in retry.history[1][1]


# --------------------------------------------------------------------------- the user is told, in the app and the CLI

EXAMPLE_PDF = Path(__file__).resolve().parents[1] / "examples" / "chatpaper-example.pdf"
NOTICE_START = {"en": "⚠️ The model did not fill 7 fields distinctly", "zh": "⚠️ 模型有 7 项未能给出不同的内容"}


@pytest.fixture
def repeating_provider_named():
    from chatpaper.llm.registry import register_provider, unregister_provider

    def register(lang: str) -> str:
        name = f"repeating-{lang}"
        register_provider(name, lambda **_: ScriptedProvider(lambda request: repeating_reply(request, lang)))
        names.append(name)
        return name

    names: list[str] = []
    yield register
    for name in names:
        unregister_provider(name)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_app_says_at_the_top_how_many_fields_were_not_distinct(lang, tmp_path, repeating_provider_named):
    from chatpaper import ui

    name = repeating_provider_named(lang)
    views = list(ui.run_summary("", EXAMPLE_PDF, lang, name, "", "", "", settings=Settings(cache_dir=tmp_path)))
    final = views[-1]
    assert final.final and final.status.startswith("✅")
    notice = final.status.split("\n\n")[1]  # right under the Done line, above the digest's sections
    assert NOTICE_START[lang] in notice.replace("\\", "") and "GEMINI_API_KEY" in notice.replace("\\", "")
    assert not any(NOTICE_START[lang] in v.status for v in views[:-1])  # said once the count is known


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_cli_says_it_on_stderr_and_at_the_top_of_digest_md(lang, tmp_path, capsys, monkeypatch,
                                                                repeating_provider_named):
    from chatpaper.__main__ import main

    monkeypatch.setenv("CHATPAPER_CACHE_DIR", str(tmp_path / "cache"))
    name = repeating_provider_named(lang)
    out = tmp_path / "out"
    assert main(["summarize", str(EXAMPLE_PDF), "--provider", name, "--lang", lang, "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert NOTICE_START[lang] in err and "GEMINI_API_KEY" in err
    markdown = (out / "digest.md").read_text(encoding="utf-8")
    assert markdown.index(NOTICE_START[lang]) < markdown.index(SENTENCE[lang])  # before the digest's first point

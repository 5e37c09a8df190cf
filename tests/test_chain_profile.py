"""The small-model profile (issue 14): chosen by setting, by a small context window or by the guard
history; one call per field group with short instructions; recorded in the provenance and the output."""
from __future__ import annotations

import json

import pytest
from fake_llm import ScriptedProvider, canned_reply, sample_paper, stage_of, valid_reply

from chatpaper.chain import summarize
from chatpaper.chain.distinct import NOT_DISTINCT
from chatpaper.chain.pipeline import STAGE_MODELS
from chatpaper.chain.profile import (
    SMALL_GROUPS,
    SMALL_LIST_LIMITS,
    GuardHistory,
    choose_profile,
    small_model,
    small_output_tokens,
)
from chatpaper.render.markdown import render_markdown
from chatpaper.settings import Settings


def test_the_setting_wins_when_explicit():
    assert choose_profile("standard", context_window=4_000, model_key="m")[0] == "standard"
    assert choose_profile("small", context_window=128_000, model_key="m")[0] == "small"


def test_auto_turns_small_for_a_small_window_and_says_why():
    profile, why = choose_profile("auto", context_window=8_000, model_key="m")
    assert profile == "small" and "8000" in why
    assert choose_profile("auto", context_window=32_000, model_key="m")[0] == "standard"


def test_auto_turns_small_after_replies_failed_the_guards_twice_in_two_stages():
    history = GuardHistory()
    history.record_failed_twice("openai@x/qwen")
    assert choose_profile("auto", context_window=32_000, model_key="openai@x/qwen", history=history)[0] == "standard"
    history.record_failed_twice("openai@x/qwen")
    profile, why = choose_profile("auto", context_window=32_000, model_key="openai@x/qwen", history=history)
    assert profile == "small" and "2 earlier stages" in why
    # another model's history is its own
    assert choose_profile("auto", context_window=32_000, model_key="other", history=history)[0] == "standard"


def _group_reply(request, lang="en"):
    """A valid reply cut to the fields the request's schema asks for."""
    full = json.loads(canned_reply(request, lang=lang, page=2))
    fields = request.schema_model.model_fields if request.schema_model is not None else full
    return json.dumps({k: v for k, v in full.items() if k in fields}, ensure_ascii=False)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_small_window_asks_one_field_group_per_call_and_records_the_profile(lang):
    provider = ScriptedProvider(lambda r: _group_reply(r, lang), context_window=8_000)
    digest = summarize(sample_paper(), provider=provider, lang=lang, settings=Settings(), cache=False)
    assert digest.provenance.model_profile == "small"
    assert digest.provenance.profile_reason is not None and "8000" in digest.provenance.profile_reason
    summary_calls = [r for r in provider.history if stage_of(r) == "summary"]
    assert len(summary_calls) == len(SMALL_GROUPS["summary"])  # one per group, no retry needed
    asked = [tuple(r.schema_model.model_fields) for r in summary_calls]
    assert sorted(asked) == sorted(SMALL_GROUPS["summary"])
    # every summary field came back filled from its group's call
    assert digest.summary is not None and digest.summary.background.text and digest.summary.performance.text
    assert ("小模型配置" if lang == "zh" else "small-model profile") in render_markdown(digest)


def test_a_large_window_keeps_the_standard_profile_with_one_call_per_stage():
    provider = ScriptedProvider(lambda r: _group_reply(r), context_window=32_000)
    digest = summarize(sample_paper(), provider=provider, lang="en", settings=Settings(), cache=False)
    assert digest.provenance.model_profile == "standard"
    assert len([r for r in provider.history if stage_of(r) == "summary"]) == 1


# --------------------------------------------------------------------------- bounded, tolerant small-profile calls


def _cut(request) -> str:
    """A reply that ran to its output limit: the JSON opened and never closed."""
    return _group_reply(request)[:40]


def test_each_small_call_is_bounded_by_its_fields_and_asks_no_optional_field():
    provider = ScriptedProvider(lambda r: _group_reply(r), context_window=8_000)
    digest = summarize(sample_paper(), provider=provider, lang="en", settings=Settings(), cache=False)
    assert digest.summary is not None
    for request in provider.history:
        fields = tuple(request.schema_model.model_fields)
        stage = stage_of(request)
        assert request.max_output_tokens == small_output_tokens(STAGE_MODELS[stage], fields)
        schema = json.dumps(request.schema_model.model_json_schema())
        assert "evidence" not in schema and "quote" not in schema  # no optional fields for a small model
        assert "quote" not in request.prompt.split("</paper>")[-1]  # nor in its instruction
    three = small_output_tokens(STAGE_MODELS["summary"], ("one_line", "background", "past_methods"))
    assert 300 <= three <= 400  # a few hundred tokens for a group of three one-sentence points
    # a list's bound grows with the items the small profile allows, and the schema caps them
    five = small_output_tokens(STAGE_MODELS["summary"], ("key_takeaways",))
    assert five > three
    schema = small_model(STAGE_MODELS["summary"], ("key_takeaways",)).model_json_schema()
    assert schema["properties"]["key_takeaways"]["maxItems"] == SMALL_LIST_LIMITS["key_takeaways"][1]


def test_a_small_reply_that_runs_on_after_its_json_is_taken_as_its_first_object():
    def run_on(request):
        return _group_reply(request) + '\n\nHere is more: {"one_line": {"text": "other", "pages": [1]}} and so on'

    provider = ScriptedProvider(run_on, context_window=8_000)
    digest = summarize(sample_paper(), provider=provider, lang="en", settings=Settings(), cache=False)
    assert all(r.status == "ok" for r in digest.provenance.stages)
    assert len(provider.requests_for("summary")) == len(SMALL_GROUPS["summary"])  # no retry was needed
    assert digest.summary.one_line.text == json.loads(valid_reply("summary"))["one_line"]["text"]


def test_a_small_reply_cut_at_its_cap_is_asked_again_for_its_missing_fields_only():
    cut_once: set[tuple[str, ...]] = set()

    def reply(request):
        group = tuple(request.schema_model.model_fields)
        if group == ("key_takeaways",) and group not in cut_once:
            cut_once.add(group)
            return _cut(request)
        return _group_reply(request)

    provider = ScriptedProvider(reply, context_window=8_000)
    digest = summarize(sample_paper(), provider=provider, lang="en", settings=Settings(), cache=False)
    calls = provider.requests_for("summary")
    assert len(calls) == len(SMALL_GROUPS["summary"]) + 1
    retry = calls[-1]
    assert tuple(retry.schema_model.model_fields) == ("key_takeaways",)
    assert retry.prompt.split("</paper>")[0] == calls[0].prompt.split("</paper>")[0]  # the same paper prefix
    first = json.loads(retry.history[0][1])  # the merged first reply, the cut field marked
    assert first["background"]["text"] and first["key_takeaways"] == [{"text": NOT_DISTINCT["en"], "pages": []}]
    assert "cut off" in retry.history[1][1]
    assert len(digest.summary.key_takeaways) == 5 and digest.summary.background.text


def test_a_cut_reply_keeps_its_complete_fields_and_one_retry_asks_the_rest_with_the_faulted_ones():
    def reply(request):
        data = json.loads(_group_reply(request))
        if request.history:
            return json.dumps(data)
        if "one_line" in data:  # cut inside background: one_line is complete
            text = json.dumps(data)
            return text[: text.index('"background"') + 30]
        if "proposed_method" in data:  # repeats one_line word for word
            data["proposed_method"] = json.loads(_group_reply(request.model_copy(
                update={"schema_model": small_model(STAGE_MODELS["summary"], ("one_line",))})))["one_line"]
        return json.dumps(data)

    provider = ScriptedProvider(reply, context_window=8_000)
    digest = summarize(sample_paper(), provider=provider, lang="en", settings=Settings(), cache=False)
    calls = provider.requests_for("summary")
    assert len(calls) == len(SMALL_GROUPS["summary"]) + 1  # one retry for the cut fields and the copy
    assert list(calls[-1].schema_model.model_fields) == ["background", "past_methods", "proposed_method"]
    assert digest.summary.one_line.text == json.loads(valid_reply("summary"))["one_line"]["text"]
    assert digest.summary.past_methods.text and digest.summary.past_methods.text != NOT_DISTINCT["en"]


def test_a_group_cut_twice_is_marked_and_the_other_groups_stand():
    def reply(request):
        if "innovation" in request.schema_model.model_fields:
            return _cut(request)
        return _group_reply(request)

    provider = ScriptedProvider(reply, context_window=8_000)
    digest = summarize(sample_paper(), provider=provider, lang="zh", settings=Settings(), cache=False)
    record = next(r for r in digest.provenance.stages if r.name == "conclusion")
    assert record.status == "ok"
    assert set(record.not_distinct) == {"significance", "innovation"}
    assert digest.conclusion.significance.text == NOT_DISTINCT["zh"] == digest.conclusion.innovation.text
    assert digest.conclusion.workload.text and digest.conclusion.workload.text != NOT_DISTINCT["zh"]
    # a call per group, one retry for the cut fields; the marks earn no further retry
    assert len(provider.requests_for("conclusion")) == 3
    assert any("cut off" in w for w in record.warnings)


def test_a_field_retry_in_the_small_profile_asks_brief_points_for_the_failed_fields_only():
    same = "ADADELTA adapts the learning rate per dimension using only first order information."

    def reply(request):
        data = json.loads(_group_reply(request))
        if not request.history and "background" in data:
            data["background"] = {"text": same, "pages": [2]}
            data["one_line"] = {"text": same, "pages": [2]}
        return json.dumps(data)

    provider = ScriptedProvider(reply, context_window=8_000)
    digest = summarize(sample_paper(), provider=provider, lang="en", settings=Settings(), cache=False)
    retry = provider.requests_for("summary")[-1]
    assert list(retry.schema_model.model_fields) == ["background"]
    assert retry.max_output_tokens == small_output_tokens(STAGE_MODELS["summary"], ["background"])
    assert "evidence" not in json.dumps(retry.schema_model.model_json_schema())
    assert digest.summary.background.text != same and digest.summary.one_line.text == same

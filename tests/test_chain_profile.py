"""The small-model profile (issue 14): chosen by setting, by a small context window or by the guard
history; one call per field group with short instructions; recorded in the provenance and the output."""
from __future__ import annotations

import json

import pytest

from chatpaper.chain import summarize
from chatpaper.chain.profile import SMALL_GROUPS, GuardHistory, choose_profile
from chatpaper.llm.fake import ScriptedProvider, canned_reply, sample_paper, stage_of
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
    assert "8000" in (digest.provenance.profile_reason or "")
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

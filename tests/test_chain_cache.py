"""DigestCache: a repeat makes no LLM call, any change of key misses, an interrupted run resumes."""
from __future__ import annotations

import json
import sqlite3
import threading
import time

import pytest
from fake_llm import ScriptedProvider, canned_provider, canned_reply, sample_paper, stage_of

from chatpaper.chain import PROMPT_VERSION, STAGES, CacheKey, DigestCache, iter_digest, runner, summarize
from chatpaper.chain.cache import open_digest_cache, paper_cache_key
from chatpaper.errors import ProviderError
from chatpaper.extractive import ExtractiveRunner
from chatpaper.llm.paced import rate_limited
from chatpaper.models import MethodsStage, Point, StageRecord
from chatpaper.pacing import RateLimiter
from chatpaper.settings import Settings


@pytest.fixture
def paper():
    return sample_paper(with_metadata=True)


def key(**changes):
    base = dict(paper_key="arxiv:1212.5701v1", provider="gemini", model="m", lang="zh", prompt_version="1",
                stage="methods")
    base.update(changes)
    return CacheKey(**base)


STEPS = MethodsStage(steps=[Point(text="Average the squared gradients.", pages=[2])])


def test_put_then_get_round_trips_as_json(tmp_path):
    with DigestCache(tmp_path / "d.sqlite") as cache:
        cache.put(key(), STEPS, StageRecord(name="methods", input_tokens=10, warnings=["w"]))
        result, record = cache.get(key(), MethodsStage)
    assert result == STEPS and record.input_tokens == 10 and record.warnings == ["w"]
    row = sqlite3.connect(tmp_path / "d.sqlite").execute("SELECT result FROM stages").fetchone()
    assert json.loads(row[0])["steps"][0]["pages"] == [2]  # plain JSON, not pickle


@pytest.mark.parametrize("change", [{"paper_key": "sha256:ab"}, {"provider": "openai"}, {"model": "m2"},
                                    {"lang": "en"}, {"prompt_version": "2"}, {"stage": "summary"}])
def test_every_part_of_the_key_matters(tmp_path, change):
    with DigestCache(tmp_path / "d.sqlite") as cache:
        cache.put(key(), STEPS, StageRecord(name="methods"))
        assert cache.get(key(**change), MethodsStage) is None
        assert cache.get(key(), MethodsStage) is not None


def test_a_row_that_no_longer_validates_is_a_miss(tmp_path):
    with DigestCache(tmp_path / "d.sqlite") as cache:
        cache.put(key(), STEPS, StageRecord(name="methods"))
        cache._conn.execute("UPDATE stages SET result = '{\"old\": 1}'")
        assert cache.get(key(), MethodsStage) is None


def test_the_cache_persists_across_instances(tmp_path):
    DigestCache(tmp_path / "d.sqlite").put(key(), STEPS, StageRecord(name="methods"))
    assert DigestCache(tmp_path / "d.sqlite").get(key(), MethodsStage)[0] == STEPS


def test_threads_share_one_cache(tmp_path):
    cache = DigestCache(tmp_path / "d.sqlite")
    errors = []

    def work(i):
        try:
            for j in range(20):
                k = key(stage=f"s{i}-{j}")
                cache.put(k, STEPS, StageRecord(name="methods"))
                assert cache.get(k, MethodsStage)[0] == STEPS
        except Exception as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(cache) == 160


def test_a_closed_cache_misses_instead_of_failing(tmp_path):
    cache = DigestCache(tmp_path / "d.sqlite")
    cache.close()
    cache.put(key(), STEPS, StageRecord(name="methods"))
    assert cache.get(key(), MethodsStage) is None


# --------------------------------------------------------------------------- through the chain


def test_a_repeat_makes_no_provider_call(paper, settings):
    first = canned_provider("zh")
    summarize(paper, provider=first, lang="zh", settings=settings)
    assert first.calls == 4 and (settings.cache_dir / "digests.sqlite").is_file()

    second = canned_provider("zh")
    digest = summarize(paper, provider=second, lang="zh", settings=settings)
    assert second.calls == 0
    assert [r.status for r in digest.provenance.stages] == ["cached"] * 4
    assert digest.methods is not None and digest.summary is not None


def test_a_parser_fix_that_changes_the_text_asks_again_and_one_that_does_not_keeps_the_cache(paper, settings):
    summarize(paper, provider=canned_provider("zh"), lang="zh", settings=settings)
    reparsed = paper.model_copy(update={"parser": {**paper.parser, "version": "999"}, "warnings": ["new"]})
    same = canned_provider("zh")
    summarize(reparsed, provider=same, lang="zh", settings=settings)
    assert same.calls == 0  # a new parser that reads the same text: every stage from the cache

    sections = [s.model_copy(update={"text": s.text + " A sentence the fixed parser no longer dropped."})
                if s.role == "method" else s for s in paper.sections]
    assert sections != paper.sections
    fixed = canned_provider("zh")
    summarize(paper.model_copy(update={"sections": sections}), provider=fixed, lang="zh", settings=settings)
    assert fixed.calls == 4  # the stages read other text: asked again, not served the old digest

    with DigestCache(settings.cache_dir / "digests.sqlite") as store:
        assert store.clear(paper.source.key) == 8  # both texts' stages go with the paper's source key
        assert len(store) == 0


def test_a_cache_that_cannot_be_opened_costs_the_cache_not_the_digest(paper, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    store, warning = open_digest_cache(blocked)
    assert store is None and warning is not None and str(blocked) in warning and "nothing was cached" in warning

    provider = canned_provider("zh")
    digest = summarize(paper, provider=provider, lang="zh", settings=Settings(cache_dir=blocked))
    assert provider.calls == 4 and digest.methods is not None
    assert warning.split(" (")[0] in " ".join(digest.provenance.warnings)


@pytest.mark.parametrize("change", ["lang", "model", "prompt_version", "paper"])
def test_a_different_language_model_prompt_version_or_paper_misses(paper, settings, monkeypatch, change):
    summarize(paper, provider=canned_provider("en"), lang="en", settings=settings)
    lang, provider = "en", canned_provider("en")
    if change == "lang":
        lang, provider = "zh", canned_provider("zh")
    elif change == "model":
        provider = canned_provider("en", model="scripted-2")
    elif change == "prompt_version":
        monkeypatch.setattr(runner, "PROMPT_VERSION", "next")
    else:
        paper = sample_paper()  # the same text from a PDF: another identity (sha256)
    digest = summarize(paper, provider=provider, lang=lang, settings=settings)
    assert provider.calls == 4 and all(r.status == "ok" for r in digest.provenance.stages)


def test_a_different_endpoint_for_the_same_model_name_misses(paper, settings):
    first = canned_provider("en")
    first.base_url = "http://visitor.example/v1"  # like an OpenAI-compatible endpoint typed in the app
    summarize(paper, provider=first, lang="en", settings=settings)
    second = canned_provider("en")
    second.base_url = "http://operator.example/v1"
    digest = summarize(paper, provider=second, lang="en", settings=settings)
    assert second.calls == 4 and all(r.status == "ok" for r in digest.provenance.stages)
    again = canned_provider("en")
    again.base_url = "http://visitor.example/v1"
    summarize(paper, provider=again, lang="en", settings=settings)
    assert again.calls == 0


def test_a_paced_provider_keeps_its_endpoint_in_the_cache_key(paper, settings):
    first = canned_provider("en")
    first.base_url = "http://visitor.example/v1"
    summarize(paper, provider=first, lang="en", settings=settings)
    same = canned_provider("en")
    same.base_url = "http://visitor.example/v1"
    # A batch's pacing does not hide whose endpoint it is: the same endpoint hits, none misses.
    summarize(paper, provider=rate_limited(same, RateLimiter(6000)), lang="en", settings=settings)
    assert same.calls == 0
    plain = canned_provider("en")
    summarize(paper, provider=rate_limited(plain, RateLimiter(6000)), lang="en", settings=settings)
    assert plain.calls == 4


def test_the_offline_runner_keeps_the_cache_keys_of_the_offline_provider(paper, settings):
    # Digests cached before the runner replaced the provider are found again: same name, model and version.
    assert ExtractiveRunner().cache_key(paper, "zh", "methods", "standard") == CacheKey(
        paper_cache_key(paper), "offline", "extractive", "zh", f"{PROMPT_VERSION}+15", "methods")
    first = summarize(paper, provider=ExtractiveRunner(), lang="en", settings=settings)
    again = summarize(paper, provider=ExtractiveRunner(), lang="en", settings=settings)
    assert {r.status for r in first.provenance.stages} == {"ok"}
    assert {r.status for r in again.provenance.stages} == {"cached"} and again.summary == first.summary


def test_an_interrupted_run_resumes_with_only_the_missing_stage(paper, settings):
    def failing_summary(request):
        if stage_of(request) == "summary":
            raise ProviderError("The request timed out after 120 s; try again.")
        return canned_reply(request)

    broken = summarize(paper, provider=ScriptedProvider(failing_summary), lang="en", settings=settings)
    assert broken.summary is None

    resumed_provider = canned_provider("en")
    resumed = summarize(paper, provider=resumed_provider, lang="en", settings=settings)
    assert [stage_of(r) for r in resumed_provider.history] == ["summary"]
    assert {r.name: r.status for r in resumed.provenance.stages} == {
        "metadata": "cached", "summary": "ok", "methods": "cached", "conclusion": "cached"}


def test_cache_false_writes_nothing(paper, settings):
    summarize(paper, provider=canned_provider("en"), lang="en", settings=settings, cache=False)
    assert not (settings.cache_dir / "digests.sqlite").exists()


def test_an_explicit_cache_is_used_and_left_open(paper, settings, tmp_path):
    cache = DigestCache(tmp_path / "mine.sqlite")
    summarize(paper, provider=canned_provider("en"), lang="en", settings=settings, cache=cache)
    assert len(cache) == len(STAGES)
    assert not (settings.cache_dir / "digests.sqlite").exists()


def test_a_caller_that_stops_early_still_gets_the_running_stages_cached(paper, settings):
    release = threading.Event()

    def reply(request):
        if stage_of(request) != "metadata":
            release.wait(10)  # still running when the caller leaves
        return canned_reply(request)

    events = iter_digest(paper, provider=ScriptedProvider(reply), lang="en", settings=settings)
    assert next(events)[0] == "header"
    assert next(events)[0] == "metadata"  # one stage done; the caller walks away (the batch's stop button)
    events.close()
    release.set()

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the three other stages finish in their threads
        with DigestCache(settings.cache_dir / "digests.sqlite") as cache:
            if len(cache) == len(STAGES):
                break
        time.sleep(0.05)
    later = canned_provider("en")
    digest = summarize(paper, provider=later, lang="en", settings=settings)
    assert later.calls == 0 and all(r.status == "cached" for r in digest.provenance.stages)

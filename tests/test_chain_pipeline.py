"""The chain end to end with a scripted provider: events, concurrency, partial failure, prompts, budget."""
from __future__ import annotations

import os
import threading

import pytest
from fake_llm import ScriptedProvider, canned_provider, canned_reply, sample_paper, stage_of

from chatpaper.chain import (
    PROMPT_VERSION,
    STAGES,
    QuotingRunner,
    build_header,
    iter_digest,
    pipeline,
    plan_budget,
    summarize,
)
from chatpaper.chain.budget import method_sections
from chatpaper.chain.figures import choose_figures
from chatpaper.chain.prompts import stage_instruction, system_prompt
from chatpaper.errors import ProviderError
from chatpaper.models import Figure, MethodsStage, Point
from chatpaper.settings import Settings
from tests.conftest import corpus_pdf


def record(digest, stage):
    return next(r for r in digest.provenance.stages if r.name == stage)


# --------------------------------------------------------------------------- header


def test_header_comes_from_arxiv_metadata_when_present():
    paper = sample_paper(with_metadata=True).model_copy(update={"title": "A WRONG  PDF\n title"})
    header = build_header(paper)
    assert header.title == "ADADELTA: An Adaptive Learning Rate Method"
    assert header.authors == ["Matthew D. Zeiler"]
    assert header.affiliation == "Google Inc., USA"
    assert header.arxiv_url == "https://arxiv.org/abs/1212.5701v1"
    assert header.pdf_url == "https://arxiv.org/pdf/1212.5701v1"
    assert header.code_url is None


def test_header_from_the_pdf_alone_has_no_invented_links(paper):
    paper = paper.model_copy(update={"title": "ADADELTA:  An Adaptive\nLearning Rate Method",
                                     "code_urls": ["https://github.com/x/adadelta"]})
    header = build_header(paper)
    assert header.title == "ADADELTA: An Adaptive Learning Rate Method"
    assert header.arxiv_url is None and header.pdf_url is None
    assert header.code_url == "https://github.com/x/adadelta"


def test_header_never_calls_the_provider(paper, settings):
    provider = ScriptedProvider([])
    events = iter_digest(paper, provider=provider, lang="en", settings=settings, cache=False)
    event, digest = next(events)
    events.close()
    assert event == "header" and provider.calls == 0
    assert digest.header.authors == ["Matthew D. Zeiler"] and digest.figures
    assert digest.summary is None and digest.provenance.stages == []


# --------------------------------------------------------------------------- events and concurrency


def test_events_header_first_then_each_stage_then_done(paper, settings):
    events = list(iter_digest(paper, provider=canned_provider("en"), lang="en", settings=settings, cache=False))
    names = [e for e, _ in events]
    assert names[0] == "header" and names[-1] == "done"
    assert sorted(names[1:-1]) == sorted(STAGES)
    # Snapshots: the digest yielded for a stage holds that stage and does not change afterwards.
    for i, (event, digest) in enumerate(events[1:-1], start=1):
        assert getattr(digest, event) is not None
        assert len(digest.provenance.stages) == i
    final = events[-1][1]
    assert [r.name for r in final.provenance.stages] == list(STAGES)
    assert all(r.status == "ok" for r in final.provenance.stages)
    assert final.provenance.prompt_version == PROMPT_VERSION and final.provenance.model == "scripted-1"


def test_the_four_stages_run_concurrently(paper, settings):
    provider = canned_provider("en", latency=0.3)
    summarize(paper, provider=provider, lang="en", settings=settings, cache=False)
    assert provider.calls == 4
    assert provider.max_in_flight == 4  # all four calls were in flight at the same moment


def test_on_update_sees_the_header_and_every_stage(paper, settings):
    seen = []
    summarize(paper, provider=canned_provider("en"), lang="en", settings=settings, cache=False,
              on_update=lambda digest, event: seen.append(event))
    assert seen[0] == "header" and sorted(seen[1:]) == sorted(STAGES)


def test_language_defaults_to_the_settings(paper, tmp_path):
    settings = Settings(cache_dir=tmp_path, lang="zh")
    digest = summarize(paper, provider=canned_provider("zh"), settings=settings, cache=False)
    assert digest.lang == "zh" and all(r.warnings == [] for r in digest.provenance.stages)


# --------------------------------------------------------------------------- failure


def test_one_failing_stage_leaves_the_others_standing(paper, settings):
    def reply(request):
        if stage_of(request) == "summary":
            raise ProviderError("Gemini refused the request (HTTP 429, quota exhausted); wait a minute or use "
                                "another provider.")
        return canned_reply(request)

    digest = summarize(paper, provider=ScriptedProvider(reply), lang="en", settings=settings, cache=False)
    rec = record(digest, "summary")
    assert digest.summary is None and rec.status == "failed"
    assert rec.error.startswith("Gemini refused the request")
    assert digest.metadata and digest.methods and digest.conclusion


def test_a_provider_bug_becomes_a_sentence_not_a_traceback(paper, settings):
    def reply(request):
        if stage_of(request) == "methods":
            raise KeyError("choices")
        return canned_reply(request)

    digest = summarize(paper, provider=ScriptedProvider(reply), lang="en", settings=settings, cache=False)
    rec = record(digest, "methods")
    assert rec.status == "failed" and "KeyError" in rec.error and "Traceback" not in rec.error
    assert digest.summary is not None


def test_a_hanging_provider_does_not_hang_the_chain(paper, settings, monkeypatch):
    release = threading.Event()

    def reply(request):
        if stage_of(request) == "methods":
            release.wait(30)  # ignores its timeout
        return canned_reply(request)

    monkeypatch.setattr(pipeline, "stage_deadline", lambda settings: 0.5)
    try:
        digest = summarize(paper, provider=ScriptedProvider(reply), lang="en", settings=settings, cache=False)
        assert not release.is_set()  # the chain returned while the call was still stuck
        rec = record(digest, "methods")
        assert rec.status == "failed" and "did not finish" in rec.error
        assert digest.summary is not None and digest.conclusion is not None
    finally:
        release.set()


def test_every_request_carries_the_timeout(paper, tmp_path):
    settings = Settings(cache_dir=tmp_path, llm_timeout_seconds=17)
    provider = canned_provider("en")
    summarize(paper, provider=provider, lang="en", settings=settings, cache=False)
    assert {r.timeout_seconds for r in provider.history} == {17}


# --------------------------------------------------------------------------- prompts


def test_paper_text_is_the_shared_prefix_and_the_instruction_comes_last(paper, settings):
    provider = canned_provider("en")
    summarize(paper, provider=provider, lang="en", settings=settings, cache=False)
    prompts = {stage_of(r): r.prompt for r in provider.history}
    assert len({r.system for r in provider.history}) == 1
    assert provider.history[0].system == system_prompt("en")

    # a character-wise common prefix is the point: every prompt opens with the same paper
    document = os.path.commonprefix(list(prompts.values())).split("</paper>")[0] + "</paper>"  # noqa: RUF071
    assert document.startswith("<paper>")
    for section in paper.sections[:-1]:  # all but References
        assert section.text.split("\n")[0] in document
    assert "[1] J. Duchi" not in document  # references are not sent
    for stage, prompt in prompts.items():
        assert prompt.startswith(document)
        assert prompt[len(document):].lstrip().startswith(f"TASK (stage: {stage})")
        assert prompt.endswith(stage_instruction(stage, "en"))


def test_instructions_are_per_language(paper, settings):
    provider = canned_provider("zh")
    summarize(paper, provider=provider, lang="zh", settings=settings, cache=False)
    assert all("阶段" in r.prompt.split("</paper>")[1] for r in provider.history)
    assert "Simplified Chinese" in provider.history[0].system


def test_other_languages_get_a_language_line():
    assert "French" in stage_instruction("methods", "fr") and "French" in system_prompt("fr")


def test_each_stage_asks_for_its_own_schema(paper, settings):
    provider = canned_provider("en")
    summarize(paper, provider=provider, lang="en", settings=settings, cache=False)
    assert {r.schema_model.__name__ for r in provider.history} == {
        "MetadataStage", "SummaryStage", "MethodsStage", "ConclusionStage"}


def test_the_document_marks_pages_where_a_section_moves_on():
    paper = sample_paper()
    one = "Part one of the method describes the running average of squared gradients in detail."
    two = "Part two of the method continues on the next page with the unit correction."
    sections = list(paper.sections)
    sections[2] = sections[2].model_copy(update={"text": f"{one}\n\n{two}", "paragraph_pages": [2, 3]})
    paper = paper.model_copy(update={"sections": sections})
    document = plan_budget(paper, context_window=32_000, lang="en").stages["methods"].document
    assert f"[p. 2]\n{one}\n[p. 3] {two}" in document


# --------------------------------------------------------------------------- budget


def big_paper(method_paragraphs=60, other_paragraphs=60):
    paper = sample_paper()
    filler = "This sentence stands for one more paragraph of careful scientific prose about the topic at hand."
    sections = []
    for s in paper.sections:
        n = method_paragraphs if s.role == "method" else other_paragraphs
        if s.role in ("introduction", "related_work", "experiments", "method"):
            s = s.model_copy(update={"text": s.text + "\n" + "\n".join(f"{filler} ({s.title} {i})" for i in range(n))})
        sections.append(s)
    return paper.model_copy(update={"sections": sections})


def test_a_paper_that_fits_is_sent_whole_and_shared():
    plan = plan_budget(big_paper(), context_window=128_000, lang="en")
    assert plan.shared and plan.method_share == 1.0
    assert len({s.document for s in plan.stages.values()}) == 1
    assert set(plan.tokens()) == set(STAGES) and all(t > 1000 for t in plan.tokens().values())


def test_a_small_window_sends_each_stage_its_own_sections_with_the_whole_method():
    paper = big_paper(method_paragraphs=25, other_paragraphs=80)
    plan = plan_budget(paper, context_window=6_000, lang="en")
    assert not plan.shared
    methods_doc = plan.stages["methods"].document
    for s in method_sections(paper):
        assert s.text.split("\n")[-1] in methods_doc  # every method subsection, to its last paragraph
    assert plan.method_share == 1.0
    summary_doc = plan.stages["summary"].document  # the experiments start, then say where they were cut
    assert "(Experiments 0)" in summary_doc and "(Experiments 79)" not in summary_doc
    assert "(The rest of this section was cut to fit the model's context window.)" in summary_doc
    assert "Idea 1" not in plan.stages["conclusion"].document
    assert all(t <= 6_000 for t in plan.tokens().values())
    assert any("does not fit" in w for w in plan.warnings)


def test_a_method_bigger_than_the_window_is_cut_and_the_share_reported():
    plan = plan_budget(big_paper(method_paragraphs=150), context_window=4_000, lang="en")
    assert 0 < plan.method_share < 1
    assert "cut to fit" in plan.stages["methods"].document
    assert any("of the method section fitted" in w for w in plan.warnings)


def test_the_methods_prompt_carries_the_whole_method_section(settings):
    paper = big_paper(method_paragraphs=25, other_paragraphs=80)
    provider = ScriptedProvider(canned_reply, context_window=6_000)
    digest = summarize(paper, provider=provider, lang="en", settings=settings, cache=False)
    methods_prompt = next(r.prompt for r in provider.history if stage_of(r) == "methods")
    for s in method_sections(paper):
        assert s.text.split("\n")[-1] in methods_prompt
    assert record(digest, "methods").input_tokens > 0
    assert any("does not fit" in w for w in digest.provenance.warnings)


def test_a_paper_without_sections_is_sent_page_by_page(paper):
    plan = plan_budget(paper.model_copy(update={"sections": []}), context_window=32_000, lang="en")
    assert "[p. 4]" in plan.stages["methods"].document and plan.method_share is None


# --------------------------------------------------------------------------- figures


def test_figures_teaser_method_and_results(paper):
    figures = [
        Figure(label="Figure 1", page=1, caption="Figure 1: Samples from our model.", bbox=(0, 0, 1, 1)),
        Figure(label="Figure 2", page=3, caption="Figure 2: Overview of the proposed pipeline.", bbox=(0, 0, 1, 1)),
        Figure(label="Figure 3", page=3, caption="Figure 3: A detail of the loss.", bbox=(0, 0, 1, 1)),
        Figure(label="Figure 4", page=4, caption="Figure 4: Comparison with baselines; test error.", bbox=(0, 0, 1, 1)),
    ]
    chosen = choose_figures(paper.model_copy(update={"figures": figures}))
    roles = {f.label: f.role for f in chosen}
    assert roles["Figure 1"] == "teaser" and roles["Figure 2"] == "method" and roles["Figure 4"] == "results"
    assert all(f.caption for f in chosen)


def test_a_plot_of_a_loss_function_is_not_a_result_but_an_experiments_figure_is(paper):
    figures = [
        Figure(label="Figure 1", page=3, caption="Figure 1: Hinge loss.", bbox=(0, 0, 1, 1)),
        Figure(label="Figure 2", page=3, caption="Figure 2: Logistic loss.", bbox=(0, 0, 1, 1)),
        Figure(label="Figure 3", page=3, caption="Figure 3: Ordinal hinge loss.", bbox=(0, 0, 1, 1)),
        Figure(label="Figure 4", page=4, caption="Figure 4: Posterior mean for the pitch estimation experiments.",
               bbox=(0, 0, 1, 1)),
    ]
    roles = {f.label: f.role for f in choose_figures(paper.model_copy(update={"figures": figures}))}
    assert roles.get("Figure 4") == "results" and roles.get("Figure 1") != "results"


def test_no_figures_no_problem(paper, settings):
    digest = summarize(paper.model_copy(update={"figures": []}), provider=canned_provider("en"), lang="en",
                       settings=settings, cache=False)
    assert digest.figures == [] and digest.methods is not None


# --------------------------------------------------------------------------- quoting runners


class FakeExtractive(QuotingRunner):
    name = "fake-extractive"
    model = "rules-1"

    def __init__(self):
        self.calls: list[str] = []

    def build_stage(self, paper, stage):
        self.calls.append(stage)
        if stage == "methods":
            return MethodsStage(steps=[Point(text=paper.sections[2].text.split("\n")[0], pages=[2, 42])])
        if stage == "conclusion":
            raise ValueError("no conclusion sentences")
        from fake_llm import valid_reply

        from chatpaper.chain.pipeline import STAGE_MODELS

        return STAGE_MODELS[stage].model_validate_json(valid_reply(stage, title=paper.title))


def test_a_quoting_runner_is_still_checked_cached_and_recorded(paper, settings):
    provider = FakeExtractive()
    digest = summarize(paper, provider=provider, lang="en", settings=settings)
    assert sorted(provider.calls) == sorted(STAGES)
    assert digest.provenance.extractive and digest.provenance.provider == "fake-extractive"
    assert digest.methods.steps[0].pages == [2]
    assert any("42" in w for w in record(digest, "methods").warnings)
    assert record(digest, "conclusion").status == "failed" and "ValueError" in record(digest, "conclusion").error

    assert digest.provenance.warnings == []  # an English paper, English requested

    again = summarize(paper, provider=provider, lang="en", settings=settings)
    assert [r.status for r in again.provenance.stages] == ["cached", "cached", "cached", "failed"]
    assert provider.calls.count("methods") == 1 and provider.calls.count("conclusion") == 2


def test_extractive_digest_in_another_language_says_it_quotes_the_paper(paper, settings):
    digest = summarize(paper, provider=FakeExtractive(), lang="zh", settings=settings, cache=False)
    # Said in the language the reader asked for.
    assert any("直接引用论文原文" in w and "中文" in w for w in digest.provenance.warnings)
    russian = summarize(paper, provider=FakeExtractive(), lang="ru", settings=settings, cache=False)
    assert any("quotes the paper" in w and "Russian" in w for w in russian.provenance.warnings)


# --------------------------------------------------------------------------- a real paper


@pytest.mark.corpus
def test_chain_on_a_corpus_paper(tmp_path):
    pytest.importorskip("chatpaper.pdf")
    from chatpaper.reading import read_paper

    settings = Settings(cache_dir=tmp_path / "cache")
    try:
        paper = read_paper(corpus_pdf("1212.5701.pdf"), out_dir=tmp_path / "out", settings=settings)
    except ImportError as exc:
        pytest.skip(f"parse_pdf is not available yet: {exc}")
    provider = canned_provider("en", context_window=32_000)
    digest = summarize(paper, provider=provider, lang="en", settings=settings)
    assert digest.header.title.startswith("ADADELTA")
    assert all(r.status == "ok" for r in digest.provenance.stages)
    methods_prompt = next(r.prompt for r in provider.history if stage_of(r) == "methods")
    for section in method_sections(paper):
        assert section.text[:60] in methods_prompt
    assert all(1 <= p <= paper.pages for p in digest.summary.one_line.pages)


def test_header_links_an_uploaded_arxiv_pdf_by_its_margin_stamp(paper):
    header = build_header(paper.model_copy(update={"arxiv_stamp": "1212.5701v1"}))
    assert header.arxiv_url == "https://arxiv.org/abs/1212.5701v1"
    assert header.pdf_url == "https://arxiv.org/pdf/1212.5701v1"


def test_what_the_parser_lost_is_told_with_the_digest(paper, settings):
    lost = "paper.pdf was damaged; MuPDF repaired it but pages 1-4 came out blank, so their text is lost."
    damaged = paper.model_copy(update={"warnings": [lost]})
    digest = summarize(damaged, provider=FakeExtractive(), lang="en", settings=settings, cache=False)
    assert digest.provenance.warnings[0] == lost
    blank_start = damaged.model_copy(update={"abstract": "", "page_texts": ["", "", *damaged.page_texts]})
    zh = summarize(blank_start, provider=FakeExtractive(), lang="zh", settings=settings, cache=False)
    assert any("直接引用论文原文" in w for w in zh.provenance.warnings)  # judged on the pages that have text
    from chatpaper.render import render_markdown
    assert lost in render_markdown(digest)


# --------------------------------------------------------------------------- evidence


def _reply_with_quotes(quotes: list[tuple[int, str]]) -> str:
    import json

    def point(text, k):
        page, quote = quotes[k % len(quotes)]
        return {"text": text, "pages": [page], "evidence": [{"page": page, "quote": quote}]}

    texts = ["The gradient window is restricted to a fixed size.", "The overhead over plain SGD is small.",
             "Training takes one minute without data."]
    return json.dumps({"steps": [point(text, k) for k, text in enumerate(texts)]})


def test_quotes_are_verified_relocated_or_not_and_the_share_is_recorded(paper, settings):
    quotes = [(3, "we restrict the window of past gradients that are accumulated to be some fixed size w"),  # verified
              (1, "The method has minimal computational overhead beyond vanilla stochastic gradient descent"),  # p. 2
              (3, "The method trains for one minute and needs no data at all")]  # invented
    provider = ScriptedProvider({"methods": [_reply_with_quotes(quotes)]}, )
    for stage in ("metadata", "summary", "conclusion"):
        provider.enqueue(canned_reply_for(stage), stage=stage)
    digest = summarize(paper, provider=provider, settings=settings, cache=False, lang="en")
    steps = digest.methods.steps
    assert [s.evidence[0].status for s in steps] == ["verified", "relocated", "unverified"]
    assert steps[1].evidence[0].page == 2 and 2 in steps[1].pages  # the page is corrected
    methods = record(digest, "methods")
    assert (methods.points, methods.points_verified) == (3, 2)
    assert digest.provenance.points == sum(r.points for r in digest.provenance.stages)
    assert digest.provenance.points_verified == sum(r.points_verified for r in digest.provenance.stages)


def canned_reply_for(stage):
    from fake_llm import valid_reply

    return valid_reply(stage, title="ADADELTA: An Adaptive Learning Rate Method")


def test_offline_points_are_their_own_verified_quotes(paper, settings):
    from chatpaper.llm.registry import get_provider

    digest = summarize(paper, provider=get_provider("offline", settings=settings), settings=settings, cache=False)
    assert digest.provenance.points > 0
    assert digest.provenance.points_verified == digest.provenance.points
    for step in digest.methods.steps:
        assert step.evidence and all(e.status == "verified" for e in step.evidence)


def test_the_schema_and_prompt_ask_for_quotes(paper, settings):
    provider = canned_provider()
    summarize(paper, provider=provider, settings=settings, cache=False)
    request = provider.requests_for("methods")[0]
    assert "\"evidence\"" in request.prompt and "逐字" in request.prompt  # the default language is Chinese
    schema = request.schema_model.model_json_schema()
    assert "Evidence" in schema["$defs"] and set(schema["$defs"]["Evidence"]["properties"]) == {"page", "quote"}

"""The evidence guard in the chain, with a scripted provider: quotes verified, relocated or not in the
paper; one corrective retry for the points quoting nothing the paper prints; the share in the provenance;
numbers a point states that its own pages do not print."""
from __future__ import annotations

import json
import re

import pytest
from fake_llm import ScriptedProvider, valid_reply

from chatpaper.chain import summarize
from chatpaper.chain.profile import GUARD_HISTORY
from chatpaper.render import render_markdown

TITLE = "ADADELTA: An Adaptive Learning Rate Method"
ON_P3 = "we restrict the window of past gradients that are accumulated to be some fixed size w"
ON_P2 = "The method has minimal computational overhead beyond vanilla stochastic gradient descent"
INVENTED = "The method trains for one minute and needs no data at all"
ON_P3_TOO = "We correct the units of the update with a Hessian approximation, the ratio of two RMS quantities."
STEPS = ["The gradient window is restricted to a fixed size.", "The overhead over plain SGD is small.",
         "Units are corrected with a Hessian approximation."]


@pytest.fixture(autouse=True)
def fresh_guard_history():
    GUARD_HISTORY.clear()
    yield
    GUARD_HISTORY.clear()


def steps_reply(quotes: list[tuple[int, str] | None]) -> str:
    def point(text, quote):
        if quote is None:
            return {"text": text, "pages": [3]}
        return {"text": text, "pages": [quote[0]], "evidence": [{"page": quote[0], "quote": quote[1]}]}

    return json.dumps({"steps": [point(t, q) for t, q in zip(STEPS, quotes, strict=True)]})


def provider_for(methods: list[str]) -> ScriptedProvider:
    provider = ScriptedProvider({"methods": methods})
    for stage in ("metadata", "summary", "conclusion"):
        provider.enqueue(valid_reply(stage, title=TITLE, page=1, quote=(1, "Setting the learning rate by hand is "
                                                                          "tedious and error prone.")), stage=stage)
    return provider


def record(digest, stage):
    return next(r for r in digest.provenance.stages if r.name == stage)


def test_a_quote_not_in_the_paper_earns_one_retry_that_names_it_and_asks_for_the_field_only(paper, settings):
    first = steps_reply([(3, ON_P3), (1, ON_P2), (3, INVENTED)])
    fixed = steps_reply([(3, ON_P3), (2, ON_P2), (3, ON_P3_TOO)])
    provider = provider_for([first, fixed])
    digest = summarize(paper, provider=provider, settings=settings, cache=False, lang="en")
    asked = provider.requests_for("methods")
    assert len(asked) == 2
    retry = asked[1]
    assert retry.history[0] == ("assistant", first)  # the first reply is the context (issue 14's field retry)
    correction = retry.history[1][1]
    assert "steps[2]" in correction and "is not on page 3" in correction and "Quote the paper exactly" in correction
    assert "steps[0]" not in correction and "steps[1]" not in correction  # verified and relocated are fine
    assert list(retry.schema_model.model_fields) == ["steps"]
    assert [e.status for s in digest.methods.steps for e in s.evidence] == ["verified", "verified", "verified"]
    methods = record(digest, "methods")
    assert (methods.points, methods.points_verified) == (3, 3)
    assert not any("quote" in w for w in methods.warnings)
    # the other stages quoted the paper: no retry there
    assert all(len(provider.requests_for(s)) == 1 for s in ("metadata", "summary", "conclusion"))


def test_a_point_still_unverified_after_the_retry_is_kept_and_marked(paper, settings):
    first = steps_reply([(3, ON_P3), (1, ON_P2), (3, INVENTED)])
    again = steps_reply([(3, ON_P3), (1, ON_P2), (4, "Training took one minute on one GPU")])
    provider = provider_for([first, again])
    digest = summarize(paper, provider=provider, settings=settings, cache=False, lang="en")
    assert len(provider.requests_for("methods")) == 2  # one corrective retry, never a second for quotes
    steps = digest.methods.steps
    assert [s.evidence[0].status for s in steps] == ["verified", "relocated", "unverified"]
    assert steps[1].evidence[0].page == 2 and 2 in steps[1].pages  # relocated: the page corrected
    assert steps[2].text == STEPS[2]  # kept, not dropped
    methods = record(digest, "methods")
    assert (methods.points, methods.points_verified, methods.points_relocated) == (3, 2, 1)
    assert any(w.startswith("Kept after a corrective retry: 1 point(s) quote text not found") and "steps[2]" in w
               for w in methods.warnings)
    assert digest.provenance.points == sum(r.points for r in digest.provenance.stages)
    assert digest.provenance.points_verified == digest.provenance.points - 1
    assert digest.provenance.points_relocated == sum(r.points_relocated for r in digest.provenance.stages) == 1
    markdown = render_markdown(digest)
    # the unverified step's own line carries the mark, then the quote that was not found
    assert re.search(rf"{re.escape(STEPS[2])}.* ⚠ — \*“Training took one minute on one GPU”", markdown)
    assert f"{digest.provenance.points - 1} of {digest.provenance.points} points verified" in markdown
    # misquoting is not the small-model signal: the profile history is untouched
    assert GUARD_HISTORY.failed_stages("scripted/scripted-1") == 0


def test_a_worse_retry_does_not_replace_a_better_first_reply(paper, settings):
    first = steps_reply([(3, ON_P3), (2, ON_P2), (3, INVENTED)])
    worse = steps_reply([(3, INVENTED), (2, "Nothing like this is printed in the paper at all"), (3, INVENTED)])
    digest = summarize(paper, provider=provider_for([first, worse]), settings=settings, cache=False, lang="en")
    assert [s.evidence[0].status for s in digest.methods.steps] == ["verified", "verified", "unverified"]
    assert record(digest, "methods").points_verified == 2


def test_points_without_quotes_are_marked_but_not_retried(paper, settings):
    provider = provider_for([steps_reply([None, None, None])])
    digest = summarize(paper, provider=provider, settings=settings, cache=False, lang="en")
    assert len(provider.requests_for("methods")) == 1
    assert all(not s.verified for s in digest.methods.steps)
    assert record(digest, "methods").points_verified == 0


def test_a_quote_too_short_to_prove_anything_is_retried(paper, settings):
    first = steps_reply([(3, ON_P3), (2, ON_P2), (3, "the method")])  # printed, but proves nothing
    provider = provider_for([first, steps_reply([(3, ON_P3), (2, ON_P2), (3, ON_P3_TOO)])])
    digest = summarize(paper, provider=provider, settings=settings, cache=False, lang="en")
    assert len(provider.requests_for("methods")) == 2
    assert record(digest, "methods").points_verified == 3


# --------------------------------------------------------------------------- numbers where the point cites


def _conclusion(performance: dict):
    from chatpaper.models import ConclusionStage

    data = json.loads(valid_reply("conclusion", title=TITLE, page=5))
    data["performance"] = performance
    return ConclusionStage.model_validate(data)


def test_a_number_printed_only_on_another_page_than_cited_is_reported(paper):
    from chatpaper.chain import guards

    numbers = guards.PaperNumbers(paper)
    # 1.83 is printed on page 4 only: right on p. 4, wrong on p. 2
    assert guards.check_numbers(_conclusion({"text": "ADADELTA reaches 1.83% error.", "pages": [4]}), numbers) == []
    (issue,) = guards.check_numbers(_conclusion({"text": "ADADELTA reaches 1.83% error.", "pages": [2]}), numbers)
    assert not issue.retry and "performance: 1.83 (not on p. 2)" in issue.message
    (issue,) = guards.check_numbers(_conclusion({"text": "It reaches 97.25% accuracy.", "pages": [4]}), numbers)
    assert "97.25 (not in the paper)" in issue.message


def test_the_page_of_a_found_quote_counts_and_a_point_citing_nothing_is_checked_on_the_whole_paper(paper):
    from chatpaper.chain import guards
    from chatpaper.models import Evidence

    numbers = guards.PaperNumbers(paper)
    quote = Evidence(page=4, quote="The test set error was 2.00% after 6 epochs", status="verified")
    on_quote_page = {"text": "The error is 2.00% after 6 epochs with a rate of 0.01.", "pages": [2],
                     "evidence": [quote.model_dump()]}
    assert guards.check_numbers(_conclusion(on_quote_page), numbers) == []
    unfound = dict(on_quote_page, evidence=[dict(quote.model_dump(), status="unverified")])
    (issue,) = guards.check_numbers(_conclusion(unfound), numbers)  # an unfound quote's page is no support
    assert "2.00 (not on p. 2)" in issue.message and "0.01 (not on p. 2)" in issue.message
    assert guards.check_numbers(_conclusion({"text": "The error is 1.83%.", "pages": []}), numbers) == []


def test_in_the_chain_a_number_off_its_cited_page_is_a_warning_not_a_retry(paper, settings):
    first = json.loads(steps_reply([(3, ON_P3), (2, ON_P2), (3, ON_P3_TOO)]))
    first["steps"][0]["text"] = "The window keeps the last 25 gradients, reaching 1.83% error."
    provider = provider_for([json.dumps(first)])
    digest = summarize(paper, provider=provider, settings=settings, cache=False, lang="en")
    assert len(provider.requests_for("methods")) == 1
    warnings = record(digest, "methods").warnings
    assert any("steps[0]: 25 (not in the paper)" in w and "steps[0]: 1.83 (not on p. 3)" in w for w in warnings)


# --------------------------------------------------------------------------- budgets: quotes cost output tokens


def _longest_reply(stage: str, quote: str, text: str) -> str:
    from chatpaper.chain.budget import STAGE_MODELS
    from chatpaper.chain.guards import LIST_LIMITS

    point = {"text": text, "pages": [12, 13], "evidence": [{"page": 12, "quote": quote}, {"page": 13, "quote": quote}]}
    data = {}
    for name, info in STAGE_MODELS[stage].model_fields.items():
        data[name] = [point] * LIST_LIMITS[name][1] if str(info.annotation).startswith("list") else point
    return json.dumps(data, ensure_ascii=False)


@pytest.mark.parametrize("stage", ["summary", "methods", "conclusion"])
def test_a_stage_allowance_holds_its_most_points_each_with_two_longest_quotes(stage):
    from chatpaper.chain.budget import PROSE_OUTPUT_TOKENS, count_tokens, stage_output_tokens

    forty_words = " ".join(["hyperparameters", "of", "the", "adaptive", "method"] * 8)  # 40 words, long ones
    chinese = "本文提出了一种无需训练的纹理合成方法整个过程只需要一分钟" * 2  # 54 characters
    for quote in (forty_words, chinese):
        quotes_only = _longest_reply(stage, quote, "")
        prose_only = _longest_reply(stage, "", "")
        quote_cost = count_tokens(quotes_only) - count_tokens(prose_only)
        # the allowance beyond the prose covers every quote the reply may carry
        assert stage_output_tokens(stage) - PROSE_OUTPUT_TOKENS[stage] >= quote_cost


def test_the_chain_asks_for_the_allowance_with_quotes_when_the_window_has_room(paper, settings):
    from fake_llm import canned_provider

    from chatpaper.chain.budget import OUTPUT_RESERVE, PROSE_OUTPUT_TOKENS, plan_budget, stage_output_tokens

    provider = canned_provider("en")
    provider.context_window = 128_000
    summarize(paper, provider=provider, settings=settings, cache=False, lang="en")
    for stage in ("summary", "methods", "conclusion"):
        asked = provider.requests_for(stage)[0].max_output_tokens
        assert asked == stage_output_tokens(stage) > PROSE_OUTPUT_TOKENS[stage]
    assert provider.requests_for("metadata")[0].max_output_tokens == PROSE_OUTPUT_TOKENS["metadata"]  # no points
    plan = plan_budget(paper, context_window=128_000, lang="en")
    assert plan.output_tokens == OUTPUT_RESERVE == max(stage_output_tokens(s) for s in ("summary", "methods"))
    # a small window still keeps three quarters of itself for the paper
    assert plan_budget(paper, context_window=8_000, lang="en").output_tokens == 2_000

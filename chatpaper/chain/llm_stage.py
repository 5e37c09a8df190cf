"""One stage written by an LLM: prompt (paper first, instruction last) -> guards -> corrective retries.

At most one corrective retry per kind of fault; a field retry asks again only for the failed fields,
with the model's first reply as context. The small profile asks one field group per call instead.
Whatever is still wrong after the retries is kept as a warning (chatpaper.chain.stage.finish_stage).
"""
from __future__ import annotations

import functools
import json
import logging
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, create_model

from chatpaper.chain import guards
from chatpaper.chain.budget import MIN_FIELD_OUTPUT_TOKENS, STAGE_MODELS, STAGE_OUTPUT_TOKENS, count_tokens
from chatpaper.chain.distinct import is_mark, not_distinct_mark
from chatpaper.chain.profile import (
    GUARD_HISTORY,
    SMALL_GROUPS,
    small_instruction,
    small_model,
    small_output_tokens,
    small_shape,
)
from chatpaper.chain.prompts import (
    build_prompt,
    correction_message,
    field_correction_message,
    point_format,
    system_prompt,
)
from chatpaper.chain.stage import StageContext, StageOutcome, finish_stage, hard_issues
from chatpaper.errors import ChatPaperError
from chatpaper.evidence.verify import PageIndex
from chatpaper.llm.base import LLMRequest, Provider
from chatpaper.llm.jsontext import complete_members, first_json_object
from chatpaper.models import Attempt, Point, StageRecord

log = logging.getLogger(__name__)

# One first try plus at most two corrective retries, each for a different kind of fault.
MAX_ATTEMPTS = 3


@functools.lru_cache(maxsize=64)
def partial_model(model: type[BaseModel], fields: tuple[str, ...]) -> type[BaseModel]:
    """The stage model cut to `fields`: the schema of a retry that asks for those fields only."""
    definitions: dict[str, Any] = {name: (model.model_fields[name].annotation, model.model_fields[name])
                                   for name in fields}
    return create_model(f"{model.__name__}Fields", __config__=ConfigDict(extra="forbid"), **definitions)


def _shape(model: type[BaseModel], fields: list[str], lang: str) -> str:
    """'{"background": point, "key_takeaways": [point, ...]}; a point is ...': what a field retry replies."""
    def kind(name: str) -> str:
        annotation = str(model.model_fields[name].annotation)
        one = "point" if "Point" in annotation else "string"
        return f"[{one}, ...]" if annotation.startswith("list") else one

    shape = "{" + ", ".join(f'"{name}": {kind(name)}' for name in fields) + "}"
    if any("point" in kind(name) for name in fields):
        shape += "; " + point_format(lang)
    return shape


def _ask(provider: Provider, run: StageContext, stage: str, sent: LLMRequest,
         record: StageRecord) -> tuple[str | None, str | None]:
    """(reply text, None) or (None, the error sentence); the attempt's tokens go on the record."""
    started = time.perf_counter()
    try:
        response = provider.generate(sent)
    except ChatPaperError as exc:
        return None, str(exc)
    except Exception as exc:  # a provider bug must not take the other stages down
        log.exception("provider %s crashed in stage %s", provider.name, stage)
        return None, (f"The {provider.name} provider failed unexpectedly ({type(exc).__name__}); "
                      "try again or use another provider.")
    input_tokens = response.input_tokens or (
        count_tokens(sent.system) + count_tokens(sent.prompt) + sum(count_tokens(t) for _, t in sent.history))
    output_tokens = response.output_tokens or count_tokens(response.text)
    assert sent.schema_model is not None  # every chain request asks for its stage's JSON
    record.attempts.append(Attempt(fields=list(sent.schema_model.model_fields), input_tokens=input_tokens,
                                   cached_input_tokens=response.cached_input_tokens, output_tokens=output_tokens,
                                   seconds=time.perf_counter() - started))
    record.input_tokens += input_tokens
    record.output_tokens += output_tokens
    return response.text, None


def _share(max_output: int, fields: int, of: int) -> int:
    """Fewer fields, fewer tokens: a runaway reply stays bounded by its share of the stage's limit."""
    return min(max_output, max(MIN_FIELD_OUTPUT_TOKENS, max_output * fields // of))


def _salvage(text: str, model: type[BaseModel], fields: tuple[str, ...] | list[str]) -> dict[str, object]:
    """The fields of a small-profile reply that are valid on their own: all of a whole reply, the complete
    ones of a reply cut at its output limit, none of one that is not JSON."""
    found = first_json_object(text)
    data = json.loads(found) if found is not None else complete_members(text)
    if not isinstance(data, dict):
        return {}
    out: dict[str, object] = {}
    for name in fields:
        if name in data:
            part, _ = guards.parse_fields(json.dumps({name: data[name]}, ensure_ascii=False),
                                          small_model(model, (name,)))
            if part is not None:
                out[name] = part.model_dump()[name]
    return out


def _marks(model: type[BaseModel], fields: list[str], lang: str) -> dict[str, object]:
    """Stand-ins for fields the model has not given: the mark, as a point (or a list of one)."""
    mark = {"text": not_distinct_mark(lang), "pages": []}
    return {name: [mark] if str(model.model_fields[name].annotation).startswith("list") else mark for name in fields}


def _is_marked(value: object) -> bool:
    if isinstance(value, Point):
        return is_mark(value.text)
    return isinstance(value, list) and bool(value) and all(isinstance(v, Point) and is_mark(v.text) for v in value)


def _small_issues(run: StageContext, stage: str, result: BaseModel, missing: list[str]) -> list[guards.Issue]:
    """The guards' faults, none about marks alone (they are no content), and the fields the reply did not give."""
    marked = {name for name, value in result if _is_marked(value)}
    issues = [i for i in hard_issues(run, stage, result) if not i.fields or set(i.fields) - marked]
    if missing:
        issues.append(guards.Issue("cut", f"The reply for {', '.join(missing)} was cut off at its length limit, or was "
                                          "not JSON for them; write one short sentence per field.",
                                   fields=tuple(missing)))
    return issues


def run_small_stage(provider: Provider, run: StageContext, stage: str) -> StageOutcome:
    """The small profile: one bounded call per field group, then one corrective call for every failed field.

    A group's reply keeps whatever fields it completed (a reply cut at its limit keeps those before the
    cut); the fields it did not give, and those the guards fault, are asked together in one field retry
    with the merged first reply as context, so a stage costs at most one retry per kind of fault. A field
    still not given after that keeps its mark.
    """
    model = STAGE_MODELS[stage]
    assert run.plan is not None
    document = run.plan.stages[stage].document
    fields = list(model.model_fields)
    request = LLMRequest(system=system_prompt(run.lang),
                         prompt=document + small_instruction(stage, fields, run.lang,
                                                             small_shape(model, fields, run.lang)),
                         schema_model=model, max_output_tokens=small_output_tokens(model, fields),
                         timeout_seconds=run.settings.llm_timeout_seconds)
    record = StageRecord(name=stage)
    values: dict[str, object] = {}
    missing: list[str] = []
    for group in SMALL_GROUPS[stage]:
        text, error = _ask(provider, run, stage, request.model_copy(update={
            "prompt": document + small_instruction(stage, group, run.lang, small_shape(model, group, run.lang)),
            "schema_model": small_model(model, group),
            "max_output_tokens": small_output_tokens(model, group),
        }), record)
        if text is None:
            record.status, record.error = "failed", error
            return StageOutcome(None, record)
        got = _salvage(text, model, group)
        values.update(got)
        missing += [name for name in group if name not in got]
    first_reply = json.dumps({**values, **_marks(model, missing, run.lang)}, ensure_ascii=False)
    current = model.model_validate_json(first_reply)
    candidates: list[_Candidate] = []
    retried: set[str] = set()
    for attempt in range(MAX_ATTEMPTS):
        issues = _small_issues(run, stage, current, missing)
        candidates.append((current, issues, current.model_dump_json() if attempt else first_reply))
        fresh = [i for i in issues if i.retry and i.kind not in retried]
        if not fresh or attempt + 1 == MAX_ATTEMPTS:
            break
        retried.update(i.kind for i in fresh)
        faults = [i for i in issues if i.retry]
        # A fault of the whole reply (its language) is every field's.
        failed = fields if not all(i.fields for i in faults) else [
            name for name in fields if any(name in i.fields for i in faults)]
        text, error = _ask(provider, run, stage, request.model_copy(update={
            "history": [("assistant", first_reply), ("user", field_correction_message(
                failed, [i.message for i in faults], run.lang, small_shape(model, failed, run.lang)))],
            "schema_model": small_model(model, tuple(failed)),
            "max_output_tokens": small_output_tokens(model, failed),
        }), record)
        if text is None:
            record.warnings.append(f"The corrective retry failed: {error}")
            break
        got = _salvage(text, model, failed)
        # Not given again: a field with content keeps it; one still holding its mark is still missing.
        missing = [name for name in failed if name not in got and _is_marked(getattr(current, name))]
        current = model.model_validate({**current.model_dump(), **got})
    result, issues, raw = _best(candidates, run.evidence)
    return StageOutcome(finish_stage(run, result, record, issues, raw_reply=raw), record)



def run_llm_stage(provider: Provider, run: StageContext, stage: str) -> StageOutcome:
    """First try, then corrective retries: for the failed fields only when the faults name them.

    A field retry keeps the paper prefix and the model's own first reply as the conversation, so a
    server's prefix cache serves it; the accepted fields stay as they were, the retried ones replace theirs.
    """
    model = STAGE_MODELS[stage]
    assert run.plan is not None  # LLMRunner.prepare plans every run
    max_output = min(STAGE_OUTPUT_TOKENS[stage], run.plan.output_tokens)
    request = LLMRequest(
        system=system_prompt(run.lang),
        prompt=build_prompt(run.plan.stages[stage].document, stage, run.lang),
        schema_model=model,
        max_output_tokens=max_output,
        timeout_seconds=run.settings.llm_timeout_seconds,
    )
    record = StageRecord(name=stage)
    candidates: list[_Candidate] = []
    history: list[tuple[str, str]] = []
    retried: set[str] = set()
    error: str | None = None
    sent = request
    current: BaseModel | None = None  # the latest whole result: what a field retry completes
    first_reply: str | None = None  # the model's first whole reply: the context of every field retry
    for attempt in range(MAX_ATTEMPTS):
        text, error = _ask(provider, run, stage, sent, record)
        if text is None:
            break
        assert sent.schema_model is not None
        if sent.schema_model is model:
            result, json_issue = guards.parse_reply(text, model)
            raw = text
            if result is not None and first_reply is None:
                first_reply = text
        else:  # a field retry: its fields over the accepted ones
            part, json_issue = guards.parse_fields(text, sent.schema_model)
            result = None if part is None or current is None else current.model_copy(
                update={name: getattr(part, name) for name in sent.schema_model.model_fields})
            raw = result.model_dump_json() if result is not None else text
        if json_issue:
            issues = [json_issue]
        else:
            assert result is not None  # a reply without a JSON issue parsed
            issues = hard_issues(run, stage, result)
        if result is not None:
            candidates.append((result, issues, raw))
            current = result
        fresh = [i for i in issues if i.retry and i.kind not in retried]
        if not fresh or attempt + 1 == MAX_ATTEMPTS:
            if json_issue and not candidates:
                error = ("The model's reply to the " + stage + " stage was not valid JSON for its schema, "
                         "even after a corrective retry; try again or use another model.")
            break
        retried.update(i.kind for i in fresh)
        faults = [i for i in issues if i.retry]
        failed = [name for name in model.model_fields if any(name in i.fields for i in faults)]
        if result is not None and first_reply is not None and failed and all(i.fields for i in faults):
            sent = request.model_copy(update={
                "history": [("assistant", first_reply), ("user", field_correction_message(
                    failed, [i.message for i in faults], run.lang, _shape(model, failed, run.lang)))],
                "schema_model": partial_model(model, tuple(failed)),
                "max_output_tokens": _share(max_output, len(failed), len(model.model_fields)),
            })
        else:  # no whole reply yet, or a fault of the whole reply (language, JSON): ask for all of it again
            history += [("assistant", text), ("user", correction_message([i.message for i in faults], run.lang))]
            sent = request.model_copy(update={"history": list(history)})
    if not candidates:
        record.status = "failed"
        record.error = error or f"The {stage} stage produced no result."
        return StageOutcome(None, record)
    result, issues, raw = _best(candidates, run.evidence)
    # Failed the guards on the first try and after. Misquoting alone is no sign of a small model: the
    # small profile's shorter prompts do not make quotes more exact.
    if len(candidates) > 1 and any(i.retry and i.kind != "quotes" for i in issues):
        GUARD_HISTORY.record_failed_twice(model_key(provider))
    if error:
        record.warnings.append(f"The corrective retry failed: {error}")
    return StageOutcome(finish_stage(run, result, record, issues, raw_reply=raw), record)



_Candidate = tuple[BaseModel, list[guards.Issue], str]  # a reply's result, its faults, its raw text


def _best(candidates: list[_Candidate], evidence: PageIndex) -> _Candidate:
    """The latest reply wins unless an earlier one had fewer faults, or as many and fewer points quoting nothing."""
    best = min(range(len(candidates)), key=lambda i: (
        len(candidates[i][1]), len(guards.unquoted_points(candidates[i][0], evidence)), -i))
    return candidates[best]


def model_key(provider: Provider) -> str:
    """Which model a guard failure is held against (chatpaper.chain.profile)."""
    return f"{provider.cache_identity()}/{provider.model or ''}"

"""Paper -> Digest: the header (never an LLM), the figures, then four independent stages run concurrently.

Each stage: cache lookup -> prompt (paper first, instruction last) -> guards -> at most one corrective
retry per kind of fault -> the result kept with warnings -> cache. A stage that fails leaves the
others standing and records why. Extractive providers (offline) build each stage themselves; their
results still go through the page guard, the cache and the provenance.
"""
from __future__ import annotations

import functools
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, create_model

from chatpaper.chain import guards
from chatpaper.chain.budget import (
    MIN_FIELD_OUTPUT_TOKENS,
    STAGE_MODELS,
    STAGE_OUTPUT_TOKENS,
    BudgetPlan,
    count_tokens,
    plan_budget,
)
from chatpaper.chain.cache import CacheKey, DigestCache, open_digest_cache
from chatpaper.chain.distinct import is_mark, mark_repeats, not_distinct_mark
from chatpaper.chain.figures import choose_figures
from chatpaper.chain.profile import (
    GUARD_HISTORY,
    SMALL_GROUPS,
    SMALL_LIST_LIMITS,
    SMALL_PROMPT_VERSION,
    Profile,
    choose_profile,
    small_instruction,
    small_model,
    small_output_tokens,
    small_shape,
)
from chatpaper.chain.prompts import (
    PROMPT_VERSION,
    STAGES,
    base_lang,
    build_prompt,
    correction_message,
    field_correction_message,
    language_name,
    point_format,
    system_prompt,
)
from chatpaper.errors import ChatPaperError
from chatpaper.evidence.verify import PageIndex, verify_points
from chatpaper.llm.base import LLMRequest, Provider
from chatpaper.llm.jsontext import complete_members, first_json_object
from chatpaper.models import (
    ArxivMetadata,
    Attempt,
    Digest,
    Header,
    MetadataStage,
    Paper,
    Point,
    Provenance,
    StageRecord,
)
from chatpaper.settings import Settings

log = logging.getLogger(__name__)

# Each stage's reply allowance, the quotes of its points included (chatpaper.chain.budget).
MAX_OUTPUT_TOKENS = STAGE_OUTPUT_TOKENS
# One first try plus at most two corrective retries, each for a different kind of fault.
MAX_ATTEMPTS = 3
# Metadata is a title and keywords: names stay in the original, so its language bar is lower.
METADATA_MIN_SHARE = 0.2

CacheOption = DigestCache | Literal[False] | None


# --------------------------------------------------------------------------- header


def _clean(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _https(url: str | None) -> str | None:
    return re.sub(r"^http://(export\.)?arxiv\.org", "https://arxiv.org", url) if url else url


def header_from_metadata(meta: ArxivMetadata) -> Header:
    """What arXiv alone says: shown while the PDF downloads; `build_header` adds the paper's part."""
    return Header(
        title=_clean(meta.title),
        authors=[_clean(a) for a in meta.authors],
        arxiv_url=_https(meta.abs_url) or f"https://arxiv.org/abs/{meta.versioned_id}",
        pdf_url=_https(meta.pdf_url) or f"https://arxiv.org/pdf/{meta.versioned_id}",
        abstract=_clean(meta.abstract),
        comment=_clean(meta.comment) or None,
        published=meta.published,
    )


def build_header(paper: Paper) -> Header:
    """Title, authors, first author's affiliation, links: from arXiv metadata when present, else the PDF."""
    if paper.metadata is not None:
        header = header_from_metadata(paper.metadata)
    else:
        arxiv_id = paper.source.arxiv_id
        if arxiv_id and paper.source.version:
            arxiv_id = f"{arxiv_id}v{paper.source.version}"
        arxiv_id = arxiv_id or paper.arxiv_stamp  # an uploaded arXiv PDF still links to its abstract page
        header = Header(title="", arxiv_url=f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else None,
                        pdf_url=f"https://arxiv.org/pdf/{arxiv_id}" if arxiv_id else None)
    return header.model_copy(update={
        "title": header.title or _clean(paper.title),
        "authors": header.authors or [_clean(a) for a in paper.authors],
        "abstract": header.abstract or _clean(paper.abstract),
        "affiliation": _clean(paper.affiliations[0]) if paper.affiliations else None,
        "code_url": paper.code_urls[0] if paper.code_urls else None,
    })


def printed_title(paper: Paper, lang: str) -> str | None:
    """The title a CJK paper prints in `lang`, if any: its English title for English, its own for its language.

    Such a title is the paper's, not a translation, so no model's version of it is used.
    """
    if base_lang(paper.language) == "en":
        return None
    wanted = base_lang(lang)
    if wanted == "en":
        return _clean(paper.title_en) or None
    return _clean(paper.title) or None if wanted == base_lang(paper.language) else None


def with_printed_title(paper: Paper, stage: str, result: BaseModel, lang: str) -> BaseModel:
    """The metadata stage's title_translation replaced by the printed title in `lang` (see printed_title)."""
    title = printed_title(paper, lang) if isinstance(result, MetadataStage) else None
    if title is None or getattr(result, "title_translation", None) == title:
        return result
    return result.model_copy(update={"title_translation": title})


# --------------------------------------------------------------------------- one stage


@dataclass
class StageOutcome:
    result: BaseModel | None
    record: StageRecord


@dataclass
class _Run:
    paper: Paper
    header: Header
    provider: Provider
    lang: str
    settings: Settings
    cache: DigestCache | None
    plan: BudgetPlan | None
    numbers: guards.PaperNumbers
    evidence: PageIndex
    profile: Profile = "standard"

    def cache_key(self, stage: str) -> CacheKey:
        version = PROMPT_VERSION
        if self.provider.extractive:  # an extractive provider's own algorithm version, when it has one
            version += f"+{getattr(self.provider, 'version', '')}"
        if self.profile == "small":  # other prompts, other results
            version += "+" + SMALL_PROMPT_VERSION
        return CacheKey(self.paper.source.key, provider_key(self.provider), self.provider.model or "", self.lang,
                        version, stage)


def provider_key(provider: Provider) -> str:
    """The provider's name, with its endpoint: one a visitor types must not fill the cache others read."""
    if endpoint := getattr(provider, "base_url", None):
        return f"{provider.name}@{endpoint}"
    return provider.name


def _hard_issues(run: _Run, stage: str, result: BaseModel) -> list[guards.Issue]:
    """The faults worth a corrective retry."""
    result = with_printed_title(run.paper, stage, result, run.lang)  # the model's title is not used
    issues = guards.find_placeholders(result)
    issues += guards.check_content(result, run.header.title,
                                   limits=SMALL_LIST_LIMITS if run.profile == "small" else None)
    min_share = METADATA_MIN_SHARE if stage == "metadata" else None
    issues += guards.check_language(result, run.lang, min_share=min_share, quoted_from=run.numbers.compact)
    issues += guards.check_pages(result, run.paper.pages)
    issues += guards.check_header(result, run.header, run.lang)
    issues += guards.check_quotes(result, run.evidence)
    return issues


def _finish(run: _Run, result: BaseModel, record: StageRecord, issues: list[guards.Issue],
            *, extractive: bool = False, raw_reply: str | None = None) -> BaseModel:
    """Keep the result: drop pages outside the paper, mark copies, record every remaining fault as a warning."""
    for issue in issues:
        if issue.kind == "pages":
            continue  # fixed below by dropping the pages
        kept_after_retry = issue.retry and not extractive
        text = issue.warning or issue.message
        record.warnings.append(f"Kept after a corrective retry: {text}" if kept_after_retry else text)
    result, trimmed = guards.trim_lists(result)
    record.warnings.extend(trimmed)
    result, dropped = guards.drop_bad_pages(result, run.paper.pages)
    if dropped:
        record.warnings.append(f"Dropped page numbers outside 1-{run.paper.pages}: {', '.join(map(str, dropped))}.")
    # Every quote checked against the paper's own text; offline points are the paper's text and quote themselves.
    # An unverified point is kept and marked in every output (its status), not repeated as a warning.
    result, record.points, record.points_verified = verify_points(result, run.evidence, own_quotes=extractive)
    soft = guards.check_evidence(result)
    if not extractive:
        soft += guards.check_numbers(result, run.numbers)
    record.warnings.extend(i.message for i in soft)
    result, marked = mark_repeats(result, run.lang, run.header.title)
    if marked:
        record.not_distinct = marked
        record.raw_reply = raw_reply
        record.warnings.append(f"Not distinct in the model's reply, shown once at their first place: {', '.join(marked)}.")
    return result


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


def _ask(run: _Run, stage: str, sent: LLMRequest, record: StageRecord) -> tuple[str | None, str | None]:
    """(reply text, None) or (None, the error sentence); the attempt's tokens go on the record."""
    started = time.perf_counter()
    try:
        response = run.provider.generate(sent)
    except ChatPaperError as exc:
        return None, str(exc)
    except Exception as exc:  # a provider bug must not take the other stages down
        log.exception("provider %s crashed in stage %s", run.provider.name, stage)
        return None, (f"The {run.provider.name} provider failed unexpectedly ({type(exc).__name__}); "
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


def _small_issues(run: _Run, stage: str, result: BaseModel, missing: list[str]) -> list[guards.Issue]:
    """The guards' faults, none about marks alone (they are no content), and the fields the reply did not give."""
    marked = {name for name, value in result if _is_marked(value)}
    issues = [i for i in _hard_issues(run, stage, result) if not i.fields or set(i.fields) - marked]
    if missing:
        issues.append(guards.Issue("cut", f"The reply for {', '.join(missing)} was cut off at its length limit, or was "
                                          "not JSON for them; write one short sentence per field.",
                                   fields=tuple(missing)))
    return issues


def _run_small_stage(run: _Run, stage: str) -> StageOutcome:
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
        text, error = _ask(run, stage, request.model_copy(update={
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
    candidates: list[tuple[BaseModel, list[guards.Issue], str]] = []
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
        text, error = _ask(run, stage, request.model_copy(update={
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
    best_index = min(range(len(candidates)), key=lambda i: (
        len(candidates[i][1]), len(guards.unquoted_points(candidates[i][0], run.evidence)), -i))
    result, issues, raw = candidates[best_index]
    return StageOutcome(_finish(run, result, record, issues, raw_reply=raw), record)


def _run_llm_stage(run: _Run, stage: str) -> StageOutcome:
    """First try, then corrective retries: for the failed fields only when the faults name them.

    A field retry keeps the paper prefix and the model's own first reply as the conversation, so a
    server's prefix cache serves it; the accepted fields stay as they were, the retried ones replace theirs.
    """
    model = STAGE_MODELS[stage]
    assert run.plan is not None  # planned for every non-extractive provider
    max_output = min(MAX_OUTPUT_TOKENS[stage], run.plan.output_tokens)
    request = LLMRequest(
        system=system_prompt(run.lang),
        prompt=build_prompt(run.plan.stages[stage].document, stage, run.lang),
        schema_model=model,
        max_output_tokens=max_output,
        timeout_seconds=run.settings.llm_timeout_seconds,
    )
    record = StageRecord(name=stage)
    candidates: list[tuple[BaseModel, list[guards.Issue], str]] = []
    history: list[tuple[str, str]] = []
    retried: set[str] = set()
    error: str | None = None
    sent = request
    current: BaseModel | None = None  # the latest whole result: what a field retry completes
    first_reply: str | None = None  # the model's first whole reply: the context of every field retry
    for attempt in range(MAX_ATTEMPTS):
        text, error = _ask(run, stage, sent, record)
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
            issues = _hard_issues(run, stage, result)
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
    # The latest reply wins unless an earlier one had fewer faults, or as many and fewer points quoting nothing.
    best_index = min(range(len(candidates)), key=lambda i: (
        len(candidates[i][1]), len(guards.unquoted_points(candidates[i][0], run.evidence)), -i))
    result, issues, raw = candidates[best_index]
    # Failed the guards on the first try and after. Misquoting alone is no sign of a small model: the
    # small profile's shorter prompts do not make quotes more exact.
    if len(candidates) > 1 and any(i.retry and i.kind != "quotes" for i in issues):
        GUARD_HISTORY.record_failed_twice(_model_key(run.provider))
    if error:
        record.warnings.append(f"The corrective retry failed: {error}")
    return StageOutcome(_finish(run, result, record, issues, raw_reply=raw), record)


def _model_key(provider: Provider) -> str:
    return f"{provider_key(provider)}/{provider.model or ''}"


def _run_extractive_stage(run: _Run, stage: str) -> StageOutcome:
    model = STAGE_MODELS[stage]
    record = StageRecord(name=stage)
    try:
        raw = run.provider.extract_stage(stage, run.paper, run.lang)  # type: ignore[attr-defined]
        result = raw if isinstance(raw, model) else model.model_validate(
            raw.model_dump() if isinstance(raw, BaseModel) else raw)
    except ChatPaperError as exc:
        record.status, record.error = "failed", str(exc)
        return StageOutcome(None, record)
    except Exception as exc:  # recorded on the digest, not raised
        log.exception("extractive provider %s failed in stage %s", run.provider.name, stage)
        record.status = "failed"
        record.error = f"The {run.provider.name} provider could not build the {stage} stage ({type(exc).__name__})."
        return StageOutcome(None, record)
    issues = guards.find_placeholders(result)
    return StageOutcome(_finish(run, result, record, issues, extractive=True), record)


def _run_stage(run: _Run, stage: str) -> StageOutcome:
    """Cache, then the provider; never raises."""
    started = time.perf_counter()
    key = run.cache_key(stage)
    if run.cache is not None:
        hit = run.cache.get(key, STAGE_MODELS[stage])
        if hit is not None:
            result, original = hit
            record = StageRecord(name=stage, status="cached", seconds=time.perf_counter() - started,
                                 warnings=original.warnings, points=original.points,
                                 points_verified=original.points_verified)
            return StageOutcome(with_printed_title(run.paper, stage, result, run.lang), record)
    try:
        outcome = (_run_extractive_stage if run.provider.extractive
                   else _run_small_stage if run.profile == "small" else _run_llm_stage)(run, stage)
    except Exception as exc:  # a bug in one stage must not hide the others
        log.exception("stage %s crashed", stage)
        error = f"The {stage} stage failed unexpectedly ({type(exc).__name__}); try again or use another provider."
        outcome = StageOutcome(None, StageRecord(name=stage, status="failed", error=error))
    outcome.record.seconds = time.perf_counter() - started
    if outcome.result is not None:
        outcome.result = with_printed_title(run.paper, stage, outcome.result, run.lang)
    if run.cache is not None and outcome.result is not None:
        run.cache.put(key, outcome.result, outcome.record)
    return outcome


# --------------------------------------------------------------------------- the chain


def _snapshot(digest: Digest) -> Digest:
    digest.provenance.stages.sort(key=lambda r: STAGES.index(r.name) if r.name in STAGES else len(STAGES))
    digest.provenance.points = sum(r.points for r in digest.provenance.stages)
    digest.provenance.points_verified = sum(r.points_verified for r in digest.provenance.stages)
    return digest.model_copy(deep=True)


def _open_cache(cache: CacheOption, settings: Settings) -> tuple[DigestCache | None, bool, str | None]:
    """(cache, owned, warning): None -> the default file, False -> no cache."""
    if cache is False:
        return None, False, None
    if cache is not None:
        return cache, False, None
    store, warning = open_digest_cache(settings.cache_dir)
    return store, store is not None, warning


def _quoting_language_note(paper: Paper, lang: str, provider_name: str) -> str | None:
    """An extractive provider quotes the paper: say so when the paper is not in the requested language."""
    # the reader saw its script: a Chinese paper quoted in Chinese needs no note
    if base_lang(paper.language) != "en" and base_lang(lang) == base_lang(paper.language):
        return None
    # The first pages with text: a repaired PDF may have lost its first pages.
    sample = " ".join([paper.abstract, *[t for t in paper.page_texts if t.strip()][:2]])[:20_000]
    share = guards.script_share(sample, lang)
    if share is None or share >= 0.5:
        return None
    if lang.lower().startswith("zh"):  # the reader asked for Chinese: tell them in Chinese
        return (f"{provider_name} 提供方直接引用论文原文，不会译成中文（quotes the paper in its own language）；"
                "如需中文摘要，请选择大语言模型提供方（例如配置 Gemini 密钥）。")
    return (f"The {provider_name} provider quotes the paper in its own language, not in {language_name(lang)}; "
            "choose an LLM provider (for example with a Gemini key) for a translated digest.")


def stage_deadline(settings: Settings) -> float:
    """How long the chain waits for the next stage to finish: every attempt's timeout, plus slack. Never forever."""
    return MAX_ATTEMPTS * settings.llm_timeout_seconds + 30.0


def iter_digest(
    paper: Paper,
    *,
    provider: Provider,
    lang: str | None = None,
    settings: Settings | None = None,
    cache: CacheOption = None,
) -> Iterator[tuple[str, Digest]]:
    """Yield ("header", d) at once, then (stage, d) as each stage completes, then ("done", d).

    `cache=None` uses the shared cache in settings.cache_dir; `cache=False` disables caching.
    Each yielded digest is a snapshot: later stages do not change it.
    """
    settings = settings or Settings()
    lang = (lang or settings.lang or "en").strip()
    header = build_header(paper)
    digest = Digest(
        source=paper.source,
        lang=lang,
        header=header,
        figures=choose_figures(paper),
        provenance=Provenance(provider=provider.name, model=provider.model, prompt_version=PROMPT_VERSION,
                              extractive=provider.extractive, created=datetime.now(UTC)),
    )
    # What the reader lost at parsing (e.g. blank pages of a repaired PDF) is said with the digest.
    digest.provenance.warnings.extend(paper.warnings)
    plan = None
    if provider.extractive:
        note = _quoting_language_note(paper, lang, provider.name)
        if note:
            digest.provenance.warnings.append(note)
    else:
        window = getattr(provider, "context_window", 32_000)
        plan = plan_budget(paper, context_window=window, lang=lang, title=header.title, authors=header.authors)
        digest.provenance.warnings.extend(plan.warnings)
        profile, reason = choose_profile(settings.model_profile, context_window=window,
                                         model_key=_model_key(provider))
        digest.provenance.model_profile, digest.provenance.profile_reason = profile, reason
    store, owned, warning = _open_cache(cache, settings)
    if warning:
        digest.provenance.warnings.append(warning)
    run = _Run(paper, header, provider, lang, settings, store, plan, guards.PaperNumbers(paper),
               PageIndex(paper.page_texts), digest.provenance.model_profile)
    yield "header", _snapshot(digest)

    executor = ThreadPoolExecutor(max_workers=len(STAGES), thread_name_prefix="chatpaper-stage")
    pending: dict[Future[StageOutcome], str] = {}
    try:
        pending.update({executor.submit(_run_stage, run, s): s for s in STAGES})
        deadline = time.monotonic() + stage_deadline(settings)
        while pending:
            done, _ = wait(pending, timeout=max(0.0, deadline - time.monotonic()), return_when=FIRST_COMPLETED)
            if not done:  # the provider ignored its timeout: give up on the stragglers, keep the rest
                for stage in pending.values():
                    digest.provenance.stages.append(StageRecord(
                        name=stage, status="failed", seconds=stage_deadline(settings),
                        error=f"The {stage} stage did not finish within {stage_deadline(settings):.0f} s; "
                              "try again later or use another provider."))
                    yield stage, _snapshot(digest)
                break
            deadline = time.monotonic() + stage_deadline(settings)  # progress: a serialising provider gets time
            for future in done:
                stage = pending.pop(future)
                outcome = future.result()
                if outcome.result is not None:
                    setattr(digest, stage, outcome.result)
                digest.provenance.stages.append(outcome.record)
                yield stage, _snapshot(digest)
    finally:
        # No cancel_futures: a stage whose thread had not started yet would be lost at random;
        # every submitted stage finishes in the background and lands in the cache for the next run.
        executor.shutdown(wait=False)
        if owned and store is not None:
            _close_when_done(store, list(pending))
    yield "done", _snapshot(digest)


def _close_when_done(store: DigestCache, futures: list[Future[StageOutcome]]) -> None:
    """Close our own cache once no stage can still write to it (a stopped caller leaves stages running)."""
    def close_if_last(_: object = None) -> None:
        if all(f.done() for f in futures):
            store.close()

    if all(f.done() for f in futures):
        store.close()
    for future in futures:
        future.add_done_callback(close_if_last)


def summarize(
    paper: Paper,
    *,
    provider: Provider,
    lang: str | None = None,
    settings: Settings | None = None,
    cache: CacheOption = None,
    on_update: Callable[[Digest, str], None] | None = None,
) -> Digest:
    """Run the chain to the end; `on_update(digest, event)` is called after the header and each stage."""
    final: Digest | None = None
    for event, digest in iter_digest(paper, provider=provider, lang=lang, settings=settings, cache=cache):
        final = digest
        if on_update is not None and event != "done":
            on_update(digest, event)
    assert final is not None  # iter_digest always ends with "done"
    return final

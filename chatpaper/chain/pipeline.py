"""Paper -> Digest: the header (never an LLM), the figures, then four independent stages run concurrently.

Each stage: cache lookup -> the stage runner (chatpaper.chain.runner: an LLM's prompts with guards and
corrective retries, or a quoting runner's own sentences) -> the result kept with warnings -> cache.
A stage that fails leaves the others standing and records why.
"""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime
from typing import Literal

from chatpaper.chain import guards
from chatpaper.chain.budget import STAGE_MODELS
from chatpaper.chain.cache import DigestCache, open_digest_cache
from chatpaper.chain.figures import choose_figures
from chatpaper.chain.llm_stage import MAX_ATTEMPTS
from chatpaper.chain.prompts import PROMPT_VERSION, STAGES, StageName
from chatpaper.chain.runner import StageRunner, as_runner
from chatpaper.chain.stage import StageContext, StageOutcome, clean, printed_title, with_printed_title
from chatpaper.evidence.verify import PageIndex
from chatpaper.llm.base import Provider
from chatpaper.models import ArxivMetadata, Digest, Header, Paper, Provenance, StageRecord
from chatpaper.settings import Settings

__all__ = ["STAGE_MODELS", "build_header", "header_from_metadata", "iter_digest", "printed_title", "summarize"]

log = logging.getLogger(__name__)

CacheOption = DigestCache | Literal[False] | None
# What iter_digest reports: the header at once, each stage as it finishes (in finishing order), then done.
DigestEvent = Literal["header", "metadata", "summary", "methods", "conclusion", "done"]


# --------------------------------------------------------------------------- header


def _https(url: str | None) -> str | None:
    return re.sub(r"^http://(export\.)?arxiv\.org", "https://arxiv.org", url) if url else url


def header_from_metadata(meta: ArxivMetadata) -> Header:
    """What arXiv alone says: shown while the PDF downloads; `build_header` adds the paper's part."""
    return Header(
        title=clean(meta.title),
        authors=[clean(a) for a in meta.authors],
        arxiv_url=_https(meta.abs_url) or f"https://arxiv.org/abs/{meta.versioned_id}",
        pdf_url=_https(meta.pdf_url) or f"https://arxiv.org/pdf/{meta.versioned_id}",
        abstract=clean(meta.abstract),
        comment=clean(meta.comment) or None,
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
        "title": header.title or clean(paper.title),
        "authors": header.authors or [clean(a) for a in paper.authors],
        "abstract": header.abstract or clean(paper.abstract),
        "affiliation": clean(paper.affiliations[0]) if paper.affiliations else None,
        "code_url": paper.code_urls[0] if paper.code_urls else None,
    })



# --------------------------------------------------------------------------- one stage


def _run_stage(runner: StageRunner, run: StageContext, cache: DigestCache | None, stage: str) -> StageOutcome:
    """Cache, then the runner; never raises."""
    started = time.perf_counter()
    key = runner.cache_key(run.paper, run.lang, stage, run.profile)
    if cache is not None:
        hit = cache.get(key, STAGE_MODELS[stage])
        if hit is not None:
            result, original = hit
            record = StageRecord(name=stage, status="cached", seconds=time.perf_counter() - started,
                                 warnings=original.warnings, points=original.points,
                                 points_verified=original.points_verified,
                                 points_relocated=original.points_relocated)
            return StageOutcome(with_printed_title(run.paper, stage, result, run.lang), record)
    try:
        outcome = runner.run_stage(run, stage)
    except Exception as exc:  # a bug in one stage must not hide the others
        log.exception("stage %s crashed", stage)
        error = f"The {stage} stage failed unexpectedly ({type(exc).__name__}); try again or use another provider."
        outcome = StageOutcome(None, StageRecord(name=stage, status="failed", error=error))
    outcome.record.seconds = time.perf_counter() - started
    if outcome.result is not None:
        outcome.result = with_printed_title(run.paper, stage, outcome.result, run.lang)
    if cache is not None and outcome.result is not None:
        cache.put(key, outcome.result, outcome.record)
    return outcome


# --------------------------------------------------------------------------- the chain


def _snapshot(digest: Digest) -> Digest:
    digest.provenance.stages.sort(key=lambda r: STAGES.index(r.name) if r.name in STAGES else len(STAGES))
    digest.provenance.points = sum(r.points for r in digest.provenance.stages)
    digest.provenance.points_verified = sum(r.points_verified for r in digest.provenance.stages)
    digest.provenance.points_relocated = sum(r.points_relocated for r in digest.provenance.stages)
    return digest.model_copy(deep=True)


def _open_cache(cache: CacheOption, settings: Settings) -> tuple[DigestCache | None, bool, str | None]:
    """(cache, owned, warning): None -> the default file, False -> no cache."""
    if cache is False:
        return None, False, None
    if cache is not None:
        return cache, False, None
    store, warning = open_digest_cache(settings.cache_dir)
    return store, store is not None, warning


def stage_deadline(settings: Settings) -> float:
    """How long the chain waits for the next stage to finish: every attempt's timeout, plus slack. Never forever."""
    return MAX_ATTEMPTS * settings.llm_timeout_seconds + 30.0


def iter_digest(
    paper: Paper,
    *,
    provider: Provider | StageRunner,
    lang: str | None = None,
    settings: Settings | None = None,
    cache: CacheOption = None,
) -> Iterator[tuple[DigestEvent, Digest]]:
    """Yield ("header", d) at once, then (stage, d) as each stage completes, then ("done", d).

    `cache=None` uses the shared cache in settings.cache_dir; `cache=False` disables caching.
    Each yielded digest is a snapshot: later stages do not change it.
    """
    settings = settings or Settings()
    runner = as_runner(provider)
    lang = (lang or settings.lang or "en").strip()
    header = build_header(paper)
    digest = Digest(
        source=paper.source,
        lang=lang,
        header=header,
        figures=choose_figures(paper),
        provenance=Provenance(provider=runner.name, model=runner.model, prompt_version=PROMPT_VERSION,
                              extractive=runner.extractive, created=datetime.now(UTC)),
    )
    # What the reader lost at parsing (e.g. blank pages of a repaired PDF) is said with the digest.
    digest.provenance.warnings.extend(paper.warnings)
    plan = runner.prepare(paper, header, lang, settings)
    digest.provenance.warnings.extend(plan.warnings)
    if plan.profile is not None:
        digest.provenance.model_profile, digest.provenance.profile_reason = plan.profile, plan.profile_reason
    store, owned, warning = _open_cache(cache, settings)
    if warning:
        digest.provenance.warnings.append(warning)
    run = StageContext(paper, header, lang, settings, plan.budget, guards.PaperNumbers(paper),
                       PageIndex(paper.page_texts), digest.provenance.model_profile)
    yield "header", _snapshot(digest)

    executor = ThreadPoolExecutor(max_workers=len(STAGES), thread_name_prefix="chatpaper-stage")
    pending: dict[Future[StageOutcome], StageName] = {}
    try:
        pending.update({executor.submit(_run_stage, runner, run, store, s): s for s in STAGES})
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
    provider: Provider | StageRunner,
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

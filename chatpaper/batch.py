"""The daily digest: a topic's new arXiv papers (or given IDs, or a folder of PDFs) -> one blog post.

Papers run concurrently in a bounded pool through the same read -> summarize chain as one paper,
with one rate limit shared by the whole batch. A paper that fails is listed at the end of the post
with its reason; the others are kept. Digests are cached, so a re-run writes the same post without
new LLM calls and a run stopped mid-way resumes where it stopped.

Layout written under OUT:  <date>-<topic>/index.md  and  <date>-<topic>/images/<paper>/figures/*.png

    run_digest(DigestRequest(...), settings=..., provider=...) -> DigestRun      the whole run
    iter_run(...) -> Iterator[DigestRun]   a snapshot (markdown, post_dir, done/total) as papers finish
    iter_post(...) -> Iterator[str]        just the markdown of those snapshots
    zip_post(post_dir) -> Path             the post and its images, for download
"""
from __future__ import annotations

import logging
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chatpaper.errors import ChatPaperError, InvalidSourceError, NoNetworkError
from chatpaper.llm.paced import rate_limited
from chatpaper.models import ArxivMetadata, Digest, DigestFigure, Figure, Paper, figure_number_key
from chatpaper.pacing import RateLimiter
from chatpaper.render.post import (
    POST_MAX_FIGURES,
    BlogEngine,
    PostFailure,
    PostFigure,
    PostMeta,
    PostPaper,
    partial_reason,
    render_post,
)
from chatpaper.settings import Settings
from chatpaper.storage import write_atomic, zip_files

log = logging.getLogger(__name__)
POST_FILE = "index.md"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DigestRequest(_Model):
    """Which papers, and how the post is written. Exactly one of search / ids / pdf_dir."""

    query: str | None = Field(None, description='Topic searched on arXiv, e.g. "Diffusion Models"')
    categories: list[str] = Field(default_factory=list, description="arXiv categories, e.g. cs.CV")
    days: int | None = Field(1, description="Date window of the search, in days")
    max_results: int = 20
    ids: list[str] = Field(default_factory=list, description="Summarise these arXiv IDs instead")
    pdf_dir: Path | None = Field(None, description="Summarise the PDFs of this folder instead")
    topic: str | None = Field(None, description="Post title; defaults to the query")
    date: datetime | None = Field(None, description="Post date; defaults to the newest paper's date")
    lang: str = "zh"
    blog: BlogEngine = "hexo"
    author: str = "ChatPaper"
    workers: int = 4
    requests_per_minute: float | None = None
    out: Path = Path("posts")


class PaperJob(_Model):
    index: int = Field(description="1-based position in the post")
    label: str = Field(description="Title when known, else the ID or file name")
    slug: str = Field(description="Folder name of its images")
    source: str = Field(description="arXiv ID or PDF path")
    metadata: ArxivMetadata | None = None


class DigestRun(_Model):
    """A snapshot of a run: the post so far and where it is written."""

    post_dir: Path
    post_path: Path
    markdown: str
    total: int
    done: int
    written: int = Field(0, description="Papers with a block in the post")
    unresolved: int = Field(0, description="Requested IDs that arXiv could not resolve")
    failures: list[PostFailure] = Field(default_factory=list)
    provider: str
    model: str | None = None

    @property
    def finished(self) -> bool:
        return self.done == self.total


class PaperProgress(_Model):
    """One paper reached a step: "reading", a stage name, "done ..." or "failed: <sentence>"."""

    job: PaperJob
    total: int = Field(description="Papers in the run")
    step: str


ProgressFn = Callable[[PaperProgress], None]


class _Outcome(_Model):
    job: PaperJob
    paper: PostPaper | None = None
    failure: PostFailure | None = None


class _Stopped(BaseException):  # BaseException so no `except Exception` swallows it
    """The run was stopped (Ctrl-C, closed app tab): this paper ends at its next stage boundary."""


# --------------------------------------------------------------------------- helpers


def slugify(text: str, *, max_len: int = 60) -> str:
    slug = re.sub(r"[^\w.-]+", "-", text.strip().lower(), flags=re.ASCII).strip("-.")
    return slug[:max_len].rstrip("-.") or "post"


def _one_sentence(exc: BaseException) -> str:
    if isinstance(exc, ChatPaperError):
        return str(exc)
    return f"Unexpected {type(exc).__name__}: {' '.join(str(exc).split())[:200]}; please report this bug."


def _make_arxiv(settings: Settings) -> Any:
    from chatpaper.sources.arxiv import ArxivSource  # noqa: PLC0415 - only runs that touch arXiv need it

    return ArxivSource(settings)


# --------------------------------------------------------------------------- finding papers


def find_jobs(
    request: DigestRequest, *, arxiv: Any = None, settings: Settings, now: datetime | None = None
) -> tuple[list[PaperJob], list[PostFailure], Any]:
    """The papers of the post, in post order, plus IDs that failed to resolve. Returns the arXiv source used."""
    # --ids and --pdf-dir name the papers themselves; a --query beside them only titles the post.
    if request.ids and request.pdf_dir:
        raise InvalidSourceError("Give either --ids or --pdf-dir, not both; run twice for two posts.")
    if not (request.ids or request.pdf_dir or request.query or request.categories):
        raise InvalidSourceError("Say which papers to digest: --query/--categories, --ids or --pdf-dir.")
    jobs: list[PaperJob] = []
    failures: list[PostFailure] = []
    if request.pdf_dir:
        folder = Path(request.pdf_dir)
        if not folder.is_dir():
            raise InvalidSourceError(f"{folder} is not a folder; give --pdf-dir a folder of PDF files.")
        pdfs = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".pdf" and p.is_file())
        slugs: set[str] = set()
        for path in pdfs:
            slug = base = slugify(path.stem)
            while slug in slugs:  # "a b.pdf" and "a-b.pdf" must not share an image folder
                slug = f"{base}-{len(slugs)}"
            slugs.add(slug)
            jobs.append(PaperJob(index=len(jobs) + 1, label=path.name, slug=slug, source=str(path)))
        return jobs, failures, arxiv
    arxiv = arxiv or _make_arxiv(settings)
    if request.ids:
        metas = []
        offline: NoNetworkError | None = None
        for text in request.ids:
            if offline is not None:  # no network for one ID is no network for the next: no wait, same reason
                failures.append(PostFailure(title=text, source=text, reason=str(offline)))
                continue
            try:
                metas.append(arxiv.metadata(text))
            except NoNetworkError as exc:
                offline = exc
                failures.append(PostFailure(title=text, source=text, reason=str(exc)))
            except ChatPaperError as exc:
                failures.append(PostFailure(title=text, source=text, reason=str(exc)))
    else:
        metas = arxiv.search(
            request.query,
            categories=request.categories or None,
            days=request.days,
            max_results=request.max_results,
            now=now,
        )
    seen: set[str] = set()
    for meta in metas:
        if meta.arxiv_id in seen:  # a paper listed twice gets one block
            continue
        seen.add(meta.arxiv_id)
        jobs.append(
            PaperJob(
                index=len(jobs) + 1,
                label=" ".join(meta.title.split()),
                slug=slugify(meta.versioned_id.replace("/", "-")),
                source=meta.versioned_id,
                metadata=meta,
            )
        )
    return jobs, failures, arxiv


def post_date(request: DigestRequest, jobs: list[PaperJob], now: datetime | None = None) -> datetime:
    """The option, else the newest paper's date in the feed, else today (midnight, so re-runs agree)."""
    if request.date:
        return request.date
    dates = [j.metadata.published for j in jobs if j.metadata and j.metadata.published]
    if dates:
        newest = max(dates)
        return newest.astimezone(UTC).replace(tzinfo=None) if newest.tzinfo else newest
    today = (now or datetime.now(UTC)).date()
    return datetime(today.year, today.month, today.day)


# A post of given papers (a folder, IDs) with no topic or --title: a title in the post's language,
# not the folder's name ("pdfdir").
_UNTITLED = {"zh": "论文速览", "en": "Paper digest"}


def post_topic(request: DigestRequest) -> str:
    if request.topic:
        return request.topic
    if request.query:
        return request.query
    if request.categories:
        return ", ".join(request.categories)
    return _UNTITLED["zh" if request.lang.lower().startswith("zh") else "en"]


# --------------------------------------------------------------------------- one paper


def pick_figures(digest: Digest, paper: Paper | None, paper_dir: Path, prefix: str) -> list[PostFigure]:
    """Up to POST_MAX_FIGURES figures whose PNG exists: the digest's picks, then the paper's others (so a
    paper that prints POST_MIN_FIGURES or more shows at least that many),
    shown in the paper's order."""
    candidates: list[DigestFigure | Figure] = [*digest.figures, *(paper.figures if paper is not None else [])]
    picked: list[tuple[int, tuple[int, ...], PostFigure]] = []
    seen: set[str] = set()
    for f in candidates:
        if not f.image or f.image in seen or not (paper_dir / f.image).is_file():
            continue
        seen.add(f.image)
        picked.append((f.page, figure_number_key(f.number),
                       PostFigure(src=f"{prefix}/{f.image}", label=f.label, caption=f.caption)))
        if len(picked) == POST_MAX_FIGURES:
            break
    return [figure for _, _, figure in sorted(picked, key=lambda t: t[:2])]


def _shown_source(job: PaperJob) -> str:
    """What the post calls the paper's source: its arXiv ID, or the file name (never a local path)."""
    return job.source if job.metadata is not None else Path(job.source).name


def _all_llm_stages_failed(digest: Digest) -> bool:
    produced = (digest.metadata, digest.summary, digest.methods, digest.conclusion)
    failed = any(r.status == "failed" and r.error for r in digest.provenance.stages)
    return failed and all(stage is None for stage in produced)


def digest_one(
    job: PaperJob,
    *,
    post_dir: Path,
    provider: Any,
    lang: str,
    settings: Settings,
    cache: Any,
    arxiv: Any,
    progress: Callable[[PaperJob, str], None],  # (the paper, the step it reached)
    stop: threading.Event,
    parse_pool: Any = None,
) -> _Outcome:
    """Read, summarize and place one paper's figures; any failure becomes this paper's failure only."""
    from chatpaper.chain import summarize  # noqa: PLC0415 - batch imports stay light until a run starts
    from chatpaper.reading import read  # noqa: PLC0415

    if stop.is_set():
        raise _Stopped
    paper_dir = post_dir / "images" / job.slug
    try:
        progress(job, "reading")
        # The paper cache answers a repeat run (reading.read); a parse is serialised by reading.PDF_LOCK or
        # handed to parse_pool, and the figures are copied into the post's folder either way.
        if job.metadata is not None:  # found by the search: its metadata is in hand, its PDF fetched once
            data = arxiv.download(job.metadata).read_bytes()
            paper = read(data, metadata=job.metadata, out_dir=paper_dir, settings=settings, pool=parse_pool)
        else:
            paper = read(Path(job.source), out_dir=paper_dir, settings=settings, pool=parse_pool)

        def on_update(_digest: Digest, stage: str) -> None:
            progress(job, stage)
            if stop.is_set():  # finished stages are already cached; the rest wait for the next run
                raise _Stopped

        digest = summarize(paper, provider=provider, lang=lang, settings=settings, cache=cache,
                           on_update=on_update)
    except Exception as exc:  # isolation: one paper's failure must not sink the batch
        log.debug("paper %s failed", job.source, exc_info=True)
        reason = _one_sentence(exc)
        progress(job, f"failed: {reason}")
        return _Outcome(job=job, failure=PostFailure(title=job.label, source=_shown_source(job), reason=reason))
    failed = [r for r in digest.provenance.stages if r.status == "failed" and r.error]
    title = " ".join(digest.header.title.split()) or job.label
    if _all_llm_stages_failed(digest):
        reason = str(failed[0].error)
        progress(job, f"failed: {reason}")
        return _Outcome(job=job, failure=PostFailure(title=title, source=_shown_source(job), reason=reason))
    figures = pick_figures(digest, paper, paper_dir, f"images/{job.slug}")
    partial = None
    if failed:  # kept in the post, and listed at the end so nobody mistakes it for complete
        partial = PostFailure(title=title, source=_shown_source(job),
                              reason=partial_reason(lang, [r.name for r in failed], str(failed[0].error)))
    progress(job, "done" if not failed else f"done, with {len(failed)} failed stage(s)")
    return _Outcome(job=job, paper=PostPaper(digest=digest, figures=figures, warnings=list(paper.warnings)),
                    failure=partial)


# --------------------------------------------------------------------------- the run


def prune_images(post_dir: Path, slugs: set[str]) -> None:
    """Drop image folders of papers not in the post (failed here, or only in an earlier run)."""
    images = post_dir / "images"
    if not images.is_dir():
        return
    for folder in images.iterdir():
        if folder.is_dir() and folder.name not in slugs:
            shutil.rmtree(folder, ignore_errors=True)


def pool_size(workers: int, limiter: RateLimiter | None, settings: Settings) -> int:
    """Papers in flight: `workers`, fewer under a tight rate limit so no queued call outwaits the chain's
    stage deadline (each paper may queue one call per stage)."""
    workers = max(1, workers)
    if limiter is None:
        return workers
    from chatpaper.chain import STAGES  # noqa: PLC0415
    from chatpaper.chain.pipeline import stage_deadline  # noqa: PLC0415

    calls_within_half_deadline = stage_deadline(settings) / 2 / limiter.interval
    return max(1, min(workers, int(calls_within_half_deadline // len(STAGES))))


def _default_cache(settings: Settings) -> Any:
    """One digest cache for the run; None when it cannot be opened (each paper's chain then says so)."""
    from chatpaper.chain.cache import open_digest_cache  # noqa: PLC0415

    store, warning = open_digest_cache(settings.cache_dir)
    if warning:
        log.warning("%s", warning)
    return store


def iter_run(
    request: DigestRequest,
    *,
    settings: Settings | None = None,
    provider: Any = None,
    arxiv: Any = None,
    cache: Any = None,
    limiter: RateLimiter | None = None,
    on_progress: ProgressFn | None = None,
    now: datetime | None = None,
    parse_pool: Any = None,
) -> Iterator[DigestRun]:
    """Run the batch, yielding a snapshot of the post each time a paper finishes (first: an empty post).

    `provider` defaults to settings.provider via the registry; `limiter` to one built from
    request.requests_per_minute (or settings.requests_per_minute). Closing the generator stops
    the papers not yet started; finished ones stay cached. `on_progress` hears each step of each paper
    (from the worker threads, so it must be thread-safe). A `parse_pool` (the app's ParsePool) parses
    the PDFs in its worker processes instead of this one.
    """
    from chatpaper.chain import is_extractive  # noqa: PLC0415

    settings = settings or Settings()
    if provider is None:
        from chatpaper.llm.registry import get_provider  # noqa: PLC0415

        provider = get_provider(settings.provider, model=settings.model, settings=settings)
    rpm = request.requests_per_minute or settings.requests_per_minute
    if limiter is None and rpm:
        limiter = RateLimiter(rpm)
    paced = rate_limited(provider, limiter)
    cache = cache if cache is not None else _default_cache(settings)

    jobs, early_failures, arxiv = find_jobs(request, arxiv=arxiv, settings=settings, now=now)
    date = post_date(request, jobs, now)
    topic = post_topic(request)
    post_dir = Path(request.out) / f"{date:%Y-%m-%d}-{slugify(topic)}"
    post_path = post_dir / POST_FILE
    meta = PostMeta(
        topic=topic, date=date, author=request.author, blog=request.blog, lang=request.lang,
        provider=provider.name, model=provider.model, extractive=is_extractive(provider),
        tags=list(request.categories),
    )
    outcomes: dict[int, _Outcome] = {}

    def snapshot() -> DigestRun:
        done = [outcomes[j.index] for j in jobs if j.index in outcomes]  # post order, not finishing order
        papers = [o.paper for o in done if o.paper]
        failures = early_failures + [o.failure for o in done if o.failure]
        markdown = render_post(meta, papers, failures, pending=len(jobs) - len(done))
        # No paper written, no post: a quiet day, or a run where every paper failed (e.g. offline), leaves
        # nothing behind, and an earlier run's post of the same day stays as it was.
        if papers:
            write_atomic(post_path, markdown)  # makes post_dir
        return DigestRun(post_dir=post_dir, post_path=post_path, markdown=markdown, total=len(jobs),
                         done=len(done), written=len(papers), unresolved=len(early_failures),
                         failures=failures, provider=provider.name, model=provider.model)

    def progress(job: PaperJob, step: str) -> None:
        if on_progress is not None:
            on_progress(PaperProgress(job=job, total=len(jobs), step=step))

    stop = threading.Event()
    yield snapshot()
    if not jobs:
        return
    pool = ThreadPoolExecutor(max_workers=pool_size(request.workers, limiter, settings), thread_name_prefix="digest")
    try:
        futures: dict[Future[_Outcome], PaperJob] = {
            pool.submit(digest_one, job, post_dir=post_dir, provider=paced, lang=request.lang,
                        settings=settings, cache=cache, arxiv=arxiv, progress=progress, stop=stop,
                        parse_pool=parse_pool): job
            for job in jobs
        }
        for future in as_completed(futures):
            outcome = future.result()
            outcomes[outcome.job.index] = outcome
            kept = {o.job.slug for o in outcomes.values() if o.paper}
            if len(outcomes) == len(jobs) and kept:  # a run that wrote nothing leaves the folder alone
                prune_images(post_dir, kept)
            yield snapshot()
    finally:
        stop.set()  # papers not started are dropped; running ones stop after their current stage
        pool.shutdown(wait=True, cancel_futures=True)


def iter_post(request: DigestRequest, **kwargs: Any) -> Iterator[str]:
    """The post's markdown, again each time a paper finishes (for the app's "Daily digest" tab)."""
    for run in iter_run(request, **kwargs):
        yield run.markdown


def run_digest(request: DigestRequest, **kwargs: Any) -> DigestRun:
    """Run the whole batch and return the final post (also written to run.post_path)."""
    run = None
    for run in iter_run(request, **kwargs):  # noqa: B007 - the last update is the finished run
        pass
    assert run is not None  # iter_run always yields at least once
    return run


def zip_post(post_dir: Path) -> Path:
    """Zip the post and its images beside the folder (the same post zips to the same bytes)."""
    post_dir = Path(post_dir)
    files = sorted(p for p in post_dir.rglob("*") if p.is_file() and not p.name.startswith("."))
    return zip_files(post_dir.with_name(post_dir.name + ".zip"),
                     [(p, f"{post_dir.name}/{p.relative_to(post_dir).as_posix()}") for p in files])

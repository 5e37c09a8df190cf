"""Command line: `python -m chatpaper parse|summarize|digest|ask|serve`.

Whatever the app does, this can do too. Errors a user can cause print one sentence and exit 1.
"""
from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

from chatpaper.errors import ChatPaperError, for_cli
from chatpaper.settings import Settings, load_settings  # load_settings was defined here

if TYPE_CHECKING:
    from chatpaper.batch import DigestRequest, PaperProgress
    from chatpaper.models import Digest, Paper


def _read(source: str, settings: Settings, out: Path | None = None) -> Paper:
    """The library's cached read, as the app's: a repeat run reuses the parsed paper (same bytes or arXiv
    version, same parser), its figures copied into OUT."""
    from chatpaper.reading import read_ready

    ready = read_ready(source, out_dir=out, settings=settings)
    if ready.cached:
        print("  the paper as parsed before (from the cache)", file=sys.stderr)
    return ready.paper


def _keep_cache_within_limits(settings: Settings) -> None:
    """After every run, as the app after every request: what this run used in the last minutes stays."""
    from chatpaper.pruning import PRUNE_GRACE_SECONDS, prune_cache

    prune_cache(settings.cache_dir, max_bytes=settings.cache_max_bytes, max_age_days=settings.cache_max_age_days,
                grace_seconds=PRUNE_GRACE_SECONDS)


def _parse(args: argparse.Namespace, settings: Settings) -> int:
    from chatpaper.storage import ensure_dir, write_atomic

    out = ensure_dir(Path(args.out))
    paper = _read(args.source, settings, out)
    write_atomic(out / "paper.json", paper.model_dump_json(indent=1, exclude={"page_texts"}))
    for warning in paper.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{paper.title} — {paper.pages} pages, {len(paper.sections)} sections, "
          f"{len(paper.figures)} figures -> {out / 'paper.json'}")
    return 0


def _summarize(args: argparse.Namespace, settings: Settings) -> int:
    from chatpaper.chain import summarize
    from chatpaper.llm.registry import describe_provider, get_provider
    from chatpaper.render import write_digest
    from chatpaper.storage import ensure_dir

    out = ensure_dir(Path(args.out))
    # Resolve the provider first: a missing key should fail before any download or parse.
    provider = get_provider(args.provider, model=args.model, settings=settings)
    print(describe_provider(provider), file=sys.stderr)
    paper = _read(args.source, settings, out)
    digest = summarize(paper, provider=provider, lang=args.lang, settings=settings,
                       on_update=(lambda d, stage: print(f"  {stage} done", file=sys.stderr)))
    from chatpaper.chain.distinct import not_distinct_notice

    if args.evidence_images:
        digest = _write_evidence_images(args, paper, digest, out, settings)
    paths = write_digest(digest, out)
    if notice := not_distinct_notice(digest):  # also at the top of digest.md
        print(notice, file=sys.stderr)
    for record in digest.provenance.stages:
        if record.error:
            print(f"warning: stage {record.name} failed: {for_cli(record.error)}", file=sys.stderr)
    print(f"{paper.title} -> " + ", ".join(str(p) for p in paths))
    return 0


def _write_evidence_images(args: argparse.Namespace, paper: Paper, digest: Digest, out: Path,
                           settings: Settings) -> Digest:
    """--evidence-images: one highlighted crop per located quote under out/evidence/; the digest gains the boxes."""
    from chatpaper.evidence.crops import MAX_CROPS, write_evidence_images
    from chatpaper.sources.cache import ArxivCache

    local = Path(args.source)
    pdf: Path | None
    if local.is_file():
        pdf = local
    elif paper.source.arxiv_id:  # the read downloaded it into the arXiv cache
        pdf = ArxivCache(settings.cache_dir / "arxiv").get_pdf(paper.source.arxiv_id, paper.source.version)
    else:
        pdf = None
    if pdf is None:
        print("warning: no PDF at hand to crop the quotes from; no evidence images were written.", file=sys.stderr)
        return digest
    images = write_evidence_images(digest, pdf, out / "evidence")
    found = len(images.written) + images.skipped
    more = f" (the first {MAX_CROPS} of {found})" if images.skipped else ""
    print(f"  {len(images.written)} evidence images{more} -> {out / 'evidence'}", file=sys.stderr)
    return images.digest


class _ProgressLines:
    """`digest`'s stderr: paper k of n, its step, seconds since the run began (never part of the post)."""

    def __init__(self, stream: IO[str] | None = None, clock: Callable[[], float] = time.monotonic):
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.start = clock()
        self._lock = threading.Lock()  # papers report from several worker threads

    def __call__(self, event: PaperProgress) -> None:
        line = (f"[{event.job.index}/{event.total}] {event.job.label[:70]}: {event.step} "
                f"({self.clock() - self.start:.1f}s)")
        with self._lock:
            print(line, file=self.stream, flush=True)


def _post_date(text: str | None) -> datetime | None:
    from chatpaper.errors import InvalidSourceError

    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidSourceError(
            f"--date {text!r} is not a date; write it like 2024-05-28 or 2024-05-28T01:19:08."
        ) from exc
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _digest_request(args: argparse.Namespace, settings: Settings) -> DigestRequest:
    from chatpaper.batch import DigestRequest

    return DigestRequest(
        query=args.query,
        topic=(args.title or "").strip() or None,
        categories=[c.strip() for c in (args.categories or "").split(",") if c.strip()],
        days=args.days,
        max_results=args.max,
        ids=args.ids or [],
        pdf_dir=Path(args.pdf_dir) if args.pdf_dir else None,
        date=_post_date(args.date),
        lang=args.lang or settings.lang,
        blog=args.blog,
        author=args.author,
        workers=args.workers,
        requests_per_minute=args.rpm or settings.requests_per_minute,
        out=Path(args.out),
    )


def _digest(args: argparse.Namespace, settings: Settings) -> int:
    """Write the post, print its path; progress and failures go to stderr."""
    from chatpaper.batch import run_digest
    from chatpaper.llm.registry import describe_provider, get_provider

    request = _digest_request(args, settings)
    provider = get_provider(args.provider, model=args.model, settings=settings)
    print(describe_provider(provider), file=sys.stderr)
    run = run_digest(request, settings=settings, provider=provider, on_progress=_ProgressLines())
    if run.total == 0 and not run.failures:
        print("No papers matched; widen --days, change --query/--categories, or check the IDs.", file=sys.stderr)
        return 0
    for failure in run.failures:
        print(f"failed: {failure.source}: {for_cli(failure.reason)}", file=sys.stderr)
    if not run.written:
        print(f"No post written: none of the {run.total + run.unresolved} papers could be digested "
              "(the reasons are above).", file=sys.stderr)
        return 1
    print(f"{run.post_path} ({run.written} of {run.total + run.unresolved} papers)")
    return 0


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from chatpaper.ask.answer import ask, check_question
    from chatpaper.ask.text import answer_as_text
    from chatpaper.llm.registry import get_provider

    check_question(args.question, (), settings)  # a bad question fails before any download or parse
    provider = get_provider(args.provider, model=args.model, settings=settings)
    paper = _read(args.source, settings)  # the figures are not needed here
    local = Path(args.source)
    answer = ask(paper, args.question, provider=provider, lang=args.lang, settings=settings,
                 cache_dir=settings.cache_dir, pdf_path=local if local.suffix.lower() == ".pdf" and local.is_file()
                 else None)
    print(answer.model_dump_json(indent=1) if args.json else answer_as_text(answer))
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from chatpaper.ui import create_app, launch

    launch(create_app(settings), settings=settings)
    return 0


def positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number; write it like 15")
    return value


def _prune(args: argparse.Namespace, settings: Settings) -> int:
    """What the app does at start and after requests: the cache within its size and age limits."""
    from chatpaper.pruning import prune_cache

    report = prune_cache(settings.cache_dir, max_bytes=settings.cache_max_bytes,
                         max_age_days=settings.cache_max_age_days)
    print(f"Removed {report.removed} cached entries ({report.freed_bytes / 1e6:.1f} MB) and "
          f"{report.digest_rows} old digest rows; the cache now holds {report.size_after / 1e6:.1f} MB.")
    return 0


BASE_URL_HELP = ("an OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 (default: "
                 "$CHATPAPER_OPENAI_BASE_URL); with it, auto picks the openai provider")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="chatpaper", description=__doc__)
    p.add_argument("--cache-dir", help="cache folder (default: $CHATPAPER_CACHE_DIR or ~/.cache/chatpaper)")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)

    parse = sub.add_parser("parse", help="read a paper into paper.json and figures/")
    parse.add_argument("source", help="PDF path, arXiv ID or arXiv URL")
    parse.add_argument("--out", required=True)
    parse.set_defaults(run=_parse)

    summ = sub.add_parser("summarize", help="write digest.md, digest.json and figures/")
    summ.add_argument("source", help="PDF path, arXiv ID or arXiv URL")
    summ.add_argument("--provider", default=None, help="auto|gemini|openai|local|offline")
    summ.add_argument("--model")
    summ.add_argument("--base-url", help=BASE_URL_HELP)
    summ.add_argument("--lang", default=None, help="zh, en or any language code")
    summ.add_argument("--out", required=True)
    summ.add_argument("--evidence-images", action="store_true",
                      help="also write evidence/: one PNG per quote found in the paper, highlighted on its page")
    summ.set_defaults(run=_summarize)

    dig = sub.add_parser("digest", help="a topic's new arXiv papers -> one blog post")
    dig.add_argument("--query", help='topic, e.g. "Diffusion Models"')
    dig.add_argument("--title", help="the post's title (default: the topic)")
    dig.add_argument("--categories", help="comma-separated arXiv categories, e.g. cs.CV,cs.LG")
    dig.add_argument("--days", type=int, default=1)
    dig.add_argument("--max", type=int, default=20)
    dig.add_argument("--ids", nargs="+", help="summarise these arXiv IDs instead of searching")
    dig.add_argument("--pdf-dir", help="summarise the PDFs in this folder instead of searching")
    dig.add_argument("--lang", default=None)
    dig.add_argument("--provider", default=None)
    dig.add_argument("--model")
    dig.add_argument("--base-url", help=BASE_URL_HELP)
    dig.add_argument("--blog", default="hexo", choices=["hexo", "markdown"])
    dig.add_argument("--author", default="ChatPaper")
    dig.add_argument("--workers", type=int, default=4)
    dig.add_argument("--rpm", type=positive_number, help="provider requests per minute across the batch")
    dig.add_argument("--date", help="post date YYYY-MM-DD[THH:MM:SS] (default: newest paper's, else today)")
    dig.add_argument("--out", required=True)
    dig.set_defaults(run=_digest)

    prune = sub.add_parser("prune", help="shrink the cache to CHATPAPER_CACHE_MAX_BYTES / _MAX_AGE_DAYS, oldest first")
    prune.set_defaults(run=_prune)

    ask = sub.add_parser("ask", help="answer a question from the paper, with the quotes it rests on")
    ask.add_argument("source", help="PDF path, arXiv ID or arXiv URL")
    ask.add_argument("question", help='e.g. "What dataset do they train on?"')
    ask.add_argument("--provider", default=None, help="auto|gemini|openai|local|offline")
    ask.add_argument("--model")
    ask.add_argument("--base-url", help=BASE_URL_HELP)
    ask.add_argument("--lang", default=None, help="language of the answer: zh, en or any language code")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    ask.set_defaults(run=_ask)

    serve = sub.add_parser("serve", help="run the Gradio app")
    serve.set_defaults(run=_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    try:
        overrides: dict[str, object] = {}
        if args.cache_dir:
            overrides["cache_dir"] = Path(args.cache_dir)
        if getattr(args, "base_url", None):  # the app's endpoint box: here the endpoint of every call of the run
            from chatpaper.fields import base_url  # the same check as the app's box

            overrides["openai_base_url"] = base_url(args.base_url)
        settings = load_settings(overrides)
        for name in ("provider", "lang", "model"):
            if getattr(args, name, None) is None and hasattr(settings, name):
                setattr(args, name, getattr(settings, name))
        code = args.run(args, settings)
        if args.run is not _prune:  # `digest` too, the command that fills the cache most
            _keep_cache_within_limits(settings)
        return code
    except ChatPaperError as exc:
        print(f"error: {for_cli(str(exc))}", file=sys.stderr)
        return 1
    except OSError as exc:  # e.g. an --out or cache folder that cannot be created or written
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}; check that the folder exists and is writable.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: partial results stay in the cache; run the same command again to resume.",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

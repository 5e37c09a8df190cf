"""source -> Paper: the one entry point the CLI, the app and the batch use to read a paper.

A SOURCE is a PDF path, PDF bytes (an upload), an arXiv ID or an arXiv URL. arXiv metadata,
where there is any, overrides the PDF's title, authors and abstract.
"""
from __future__ import annotations

import hashlib
import queue
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatpaper.models import ArxivMetadata, Paper, SourceInfo
from chatpaper.settings import Settings
from chatpaper.sources.local import read_pdf_file
from chatpaper.storage import ensure_dir

if TYPE_CHECKING:
    from chatpaper.pdf.pool import ParsePool


# PyMuPDF does not support use from several threads at once (even on separate documents), and the
# app and the batch both run papers in threads: every parse in the process goes through this lock.
# Downloads and LLM calls still overlap; parsing holds the GIL most of the time anyway.
PDF_LOCK = threading.Lock()


def looks_like_path(text: str) -> bool:
    """A local file (existing, or named *.pdf) rather than an arXiv ID or link."""
    lowered = text.lower()
    if lowered.startswith(("http:", "https:", "arxiv")):
        return False
    return lowered.endswith(".pdf") or Path(text).is_file()


def read_paper(
    source: str | Path | bytes,
    *,
    out_dir: Path,
    settings: Settings | None = None,
    arxiv=None,
    filename: str | None = None,
    on_text: Callable[[Paper], None] | None = None,
    pool: ParsePool | None = None,
) -> Paper:
    """Read SOURCE into a Paper; figure PNGs go to out_dir/figures/.

    `arxiv` is an `ArxivSource` (injected in tests); one is made from settings when needed.
    `on_text` gets the Paper without figures as soon as its text is parsed (the app shows the header then).
    With a `pool` (the app's) the parse runs in one of its worker processes; otherwise here, under PDF_LOCK.
    Nothing is cached here: `iter_read` is the same read with the paper cache, streamed as events.
    """
    settings = settings or Settings()
    metadata: ArxivMetadata | None = None
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, Path) or looks_like_path(str(source)):
        path = Path(source)
        filename = filename or path.name
        data = read_pdf_file(path, settings)
    else:
        from chatpaper.sources.arxiv import ArxivSource  # noqa: PLC0415

        arxiv = arxiv or ArxivSource(settings)
        metadata, pdf_path = arxiv.fetch(str(source))
        data = pdf_path.read_bytes()
    return parse_source(data, out_dir=out_dir, settings=settings, metadata=metadata, filename=filename,
                        on_text=on_text, pool=pool)


def parse_source(
    data: bytes,
    *,
    out_dir: Path,
    settings: Settings,
    metadata: ArxivMetadata | None = None,
    filename: str | None = None,
    on_text: Callable[[Paper], None] | None = None,
    pool: ParsePool | None = None,
    sha256: str | None = None,
) -> Paper:
    """A PDF's bytes (with arXiv's METADATA, if it came from there) -> Paper; see read_paper. `sha256` is
    the bytes' digest when the caller has it already (a large upload is hashed once)."""
    from chatpaper.pdf import parse_pdf  # noqa: PLC0415 - keeps `import chatpaper` light

    sha = sha256 or hashlib.sha256(data).hexdigest()
    info = SourceInfo(
        kind="arxiv" if metadata else "pdf",
        arxiv_id=metadata.arxiv_id if metadata else None,
        version=metadata.version if metadata else None,
        sha256=sha,
        filename=filename,
    )

    def text_ready(paper: Paper) -> None:  # the early Paper says what the final one will: arXiv wins
        if on_text is not None:
            on_text(apply_metadata(paper, metadata) if metadata else paper)

    if pool is not None:
        paper = pool.parse(data, out_dir=out_dir, settings=settings, source=info, name=filename or "The PDF",
                           on_text=text_ready if on_text else None)
    else:
        with PDF_LOCK:
            paper = parse_pdf(data, out_dir=out_dir, settings=settings, source=info,
                              on_text=text_ready if on_text else None)
    if metadata:
        paper = apply_metadata(paper, metadata)
    return paper


def apply_metadata(paper: Paper, metadata: ArxivMetadata) -> Paper:
    """arXiv is the source of truth for title, authors and abstract; the PDF keeps the rest."""
    from chatpaper.pdf.links import find_code_urls  # noqa: PLC0415

    urls = list(paper.code_urls)
    for url in find_code_urls(metadata.comment or "") + find_code_urls(metadata.abstract):
        if url not in urls:
            urls.append(url)
    return paper.model_copy(
        update={
            "title": metadata.title or paper.title,
            "authors": metadata.authors or paper.authors,
            "abstract": metadata.abstract or paper.abstract,
            "metadata": metadata,
            "code_urls": urls,
        }
    )


# --------------------------------------------------------------------------- streamed, with the paper cache


# A download's progress is reported at most this often: a UI may send each report to a browser.
PROGRESS_INTERVAL_SECONDS = 0.25


@dataclass(frozen=True)
class MetadataReady:
    """arXiv has answered: title, authors and abstract can be shown while the PDF downloads."""

    metadata: ArxivMetadata


@dataclass(frozen=True)
class DownloadProgress:
    """Bytes of the arXiv PDF received so far, of `total` (None when the server gives no size)."""

    done: int
    total: int | None


@dataclass(frozen=True)
class TextReady:
    """The paper's text is parsed (`paper.figures` is still empty): its header can be shown."""

    paper: Paper


@dataclass(frozen=True)
class PaperReady:
    """The whole Paper; its figure PNGs are under `folder` (the cache's folder of this source)."""

    paper: Paper
    folder: Path
    cached: bool  # read from the paper cache, not parsed


ReadEvent = MetadataReady | DownloadProgress | TextReady | PaperReady


class _Finished:
    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


def _in_thread(work: Callable[[Callable[[ReadEvent], None]], None], name: str) -> Iterator[ReadEvent]:
    """Run WORK in a worker thread and yield the events it emits as they come; its exception is raised here.

    If the caller stops early, the work still finishes (a parse gives its worker back to the pool).
    """
    events: queue.Queue[ReadEvent | _Finished] = queue.Queue()

    def run() -> None:
        try:
            work(events.put)
            events.put(_Finished())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread, which raises it
            events.put(_Finished(exc))

    threading.Thread(target=run, name=name, daemon=True).start()
    while not isinstance(item := events.get(), _Finished):
        yield item
    if item.error is not None:
        raise item.error


def _download(arxiv: Any, metadata: ArxivMetadata) -> Iterator[ReadEvent]:
    """The arXiv PDF into arXiv's cache, in a thread, its progress yielded at most every PROGRESS_INTERVAL_SECONDS."""
    last = [float("-inf")]

    def work(emit: Callable[[ReadEvent], None]) -> None:
        def on_progress(done: int, total: int | None) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_INTERVAL_SECONDS or (total and done >= total):
                last[0] = now
                emit(DownloadProgress(done, total))

        arxiv.download(metadata, on_progress=on_progress)

    yield from _in_thread(work, "chatpaper-download")


def iter_read(
    source: str | Path | bytes,
    *,
    settings: Settings | None = None,
    arxiv: Any = None,
    filename: str | None = None,
    pool: ParsePool | None = None,
    on_folder: Callable[[Path], None] | None = None,
    metadata: ArxivMetadata | None = None,
) -> Iterator[ReadEvent]:
    """Read SOURCE as read_paper does, through the paper cache (chatpaper.paper_cache), as a stream of events:

    MetadataReady and DownloadProgress (arXiv only), TextReady (not on a cache hit), then PaperReady, last.
    `on_folder` is told the paper's cache folder before anything is written to it (the app keeps
    pruning away from it). The parse runs in a worker thread (and with `pool`, in its process), so
    events arrive while it works. Bytes with `metadata` are an arXiv PDF already fetched (a batch's).
    """
    from chatpaper.paper_cache import arxiv_folder, cached_paper, pdf_folder, store_paper  # noqa: PLC0415

    settings = settings or Settings()
    if metadata is not None and not isinstance(source, bytes):
        raise TypeError("metadata goes with the PDF's bytes; an arXiv ID or link is looked up here")
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, Path) or looks_like_path(str(source)):
        filename = filename or Path(source).name
        data = read_pdf_file(source, settings)
    else:
        from chatpaper.sources.arxiv import ArxivSource  # noqa: PLC0415

        arxiv = arxiv or ArxivSource(settings)
        metadata = arxiv.metadata(str(source))
        yield MetadataReady(metadata)
        yield from _download(arxiv, metadata)
        data = arxiv.download(metadata).read_bytes()  # in arXiv's cache now: no second request
    sha = None if metadata else hashlib.sha256(data).hexdigest()  # an arXiv version is its own key
    folder = ensure_dir(arxiv_folder(metadata.versioned_id, settings) if metadata else pdf_folder(sha or "", settings))
    if on_folder is not None:
        on_folder(folder)
    if (paper := cached_paper(folder)) is not None:
        # arXiv's answer of today wins over the one stored with the parse (a comment or link added since)
        yield PaperReady(apply_metadata(paper, metadata) if metadata else paper, folder, cached=True)
        return

    def parse(emit: Callable[[ReadEvent], None]) -> None:
        paper = parse_source(data, out_dir=folder, settings=settings, metadata=metadata, filename=filename,
                             pool=pool, on_text=lambda text_only: emit(TextReady(text_only)), sha256=sha)
        store_paper(paper, folder)
        emit(PaperReady(paper, folder, cached=False))

    yield from _in_thread(parse, "chatpaper-read")


def read(source: str | Path | bytes, *, out_dir: Path | None = None, settings: Settings | None = None,
         arxiv: Any = None, filename: str | None = None, pool: ParsePool | None = None,
         metadata: ArxivMetadata | None = None) -> Paper:
    """iter_read to its end: the Paper, parsed once per source and parser version. With OUT_DIR, its
    figure PNGs are copied to OUT_DIR/figures/, where the Paper's relative image paths point."""
    return read_ready(source, out_dir=out_dir, settings=settings, arxiv=arxiv, filename=filename, pool=pool,
                      metadata=metadata).paper


def read_ready(source: str | Path | bytes, *, out_dir: Path | None = None, settings: Settings | None = None,
               arxiv: Any = None, filename: str | None = None, pool: ParsePool | None = None,
               metadata: ArxivMetadata | None = None) -> PaperReady:
    """`read`, with where the paper is kept and whether it came from the cache (the CLI says so)."""
    ready = next(e for e in iter_read(source, settings=settings, arxiv=arxiv, filename=filename, pool=pool,
                                      metadata=metadata) if isinstance(e, PaperReady))
    if out_dir is not None:
        copy_figures(ready.paper, ready.folder, out_dir)
    return ready


def copy_figures(paper: Paper, folder: Path, out_dir: Path) -> None:
    """The Paper's figure PNGs from FOLDER to the same relative paths under OUT_DIR."""
    for figure in paper.figures:
        source, target = folder / (figure.image or ""), Path(out_dir) / (figure.image or "")
        if figure.image and source.is_file() and source.resolve() != target.resolve():  # --out may be the folder
            ensure_dir(target.parent)
            shutil.copyfile(source, target)

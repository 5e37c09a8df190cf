"""source -> Paper: the one entry point the CLI, the app and the batch use to read a paper.

A SOURCE is a PDF path, PDF bytes (an upload), an arXiv ID or an arXiv URL. arXiv metadata,
where there is any, overrides the PDF's title, authors and abstract.
"""
from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from chatpaper.models import ArxivMetadata, Paper, SourceInfo
from chatpaper.settings import Settings
from chatpaper.sources.local import read_pdf_file

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


def read_pdf_bytes(path: Path, settings: Settings) -> bytes:
    """Read a local file with the one PDF check (sources.local): the size limit before anything else."""
    return read_pdf_file(path, settings)


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
    """
    from chatpaper.pdf import parse_pdf  # noqa: PLC0415 - keeps `import chatpaper` light

    settings = settings or Settings()
    metadata: ArxivMetadata | None = None
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, Path) or looks_like_path(str(source)):
        path = Path(source)
        filename = filename or path.name
        data = read_pdf_bytes(path, settings)
    else:
        from chatpaper.sources.arxiv import ArxivSource  # noqa: PLC0415

        arxiv = arxiv or ArxivSource(settings)
        metadata, pdf_path = arxiv.fetch(str(source))
        data = pdf_path.read_bytes()

    sha = hashlib.sha256(data).hexdigest()
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

"""A PDF from a file or from bytes: the one size and signature check the CLI, the app and the parser share.

Every entry point (a path on the command line, an upload in the app, bytes handed to `parse_pdf`)
goes through these, so a file is accepted or refused the same way, in the same words, wherever it
comes from. The sentences speak to an app visitor; `errors.for_cli` rewords them for the command line.
"""
from __future__ import annotations

from pathlib import Path

from chatpaper.errors import InvalidSourceError, PdfError
from chatpaper.settings import Settings

MB = 2**20  # the size limit is set in binary megabytes (50 * 1024 * 1024), so it reads as a round "50 MB"
HEADER_WINDOW = 1024  # the PDF spec lets a file carry a little junk before its %PDF- header
PDF_SIGNATURE = b"%PDF-"


def has_pdf_header(data: bytes) -> bool:
    """The %PDF- signature where the spec allows it."""
    return PDF_SIGNATURE in data[:HEADER_WINDOW]


def looks_repairable(data: bytes) -> bool:
    """A PDF whose header was destroyed still has its objects, and MuPDF can often rebuild it from them."""
    return b" obj" in data and b"endobj" in data


def megabytes(size: int) -> str:
    """'51.0 MB': sizes and limits in the one unit every message uses."""
    return f"{size / MB:.1f} MB"


def limit_text(limit: int) -> str:
    """'50 MB': a size limit as the app's upload box and every message state it."""
    return f"{limit / MB:.0f} MB"


def too_big(name: str, size: int, settings: Settings) -> PdfError:
    """'paper.pdf is 51.0 MB, over the 50 MB limit; upload a smaller PDF.'"""
    return PdfError(f"{name} is {megabytes(size)}, over the {limit_text(settings.max_pdf_bytes)} limit; upload a smaller PDF.")


def check_pdf_size(size: int, name: str, settings: Settings) -> None:
    """Empty or over the limit: refused before a byte is read."""
    if size == 0:
        raise PdfError(f"{name} is empty; upload the paper's PDF file.")
    if size > settings.max_pdf_bytes:
        raise too_big(name, size, settings)


def check_pdf_bytes(data: bytes, name: str, settings: Settings) -> None:
    """Empty, too big, or neither a PDF header nor PDF objects: refused before the parser sees it.

    A file with objects but a damaged header passes: the parser repairs it and says so in the paper's warnings.
    """
    # a file with a header is not blank: only one without is stripped (a copy of the whole file)
    if not data or (not has_pdf_header(data) and not data.strip(b"\x00 \t\r\n")):
        raise PdfError(f"{name} is empty; upload the paper's PDF file.")
    check_pdf_size(len(data), name, settings)
    if not has_pdf_header(data) and not looks_repairable(data):
        raise PdfError(f"{name} is not a PDF file; upload the paper as a PDF.")


def read_pdf_file(path: str | Path, settings: Settings, *, name: str | None = None) -> bytes:
    """The bytes of a local PDF (a path on the command line, an upload), checked: size first, then type, then content."""
    path = Path(path)
    name = name or path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InvalidSourceError(f"Cannot open {name}: the file does not exist or is not readable.") from exc
    check_pdf_size(size, name, settings)
    if path.suffix and path.suffix.lower() != ".pdf":
        raise InvalidSourceError(f"{name} is not a PDF file; upload a .pdf file or paste an arXiv ID.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidSourceError(f"Cannot open {name}: the file does not exist or is not readable.") from exc
    check_pdf_bytes(data, name, settings)
    return data

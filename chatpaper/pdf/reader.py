"""parse_pdf: bytes or a path -> a typed Paper, or one PdfError sentence saying what to do.

Validation comes first (empty, not a PDF, too large, password, damaged, scanned); then one pass
of `get_text("dict")` per page feeds front matter, sections and page texts, and the figures step
renders its PNGs into out_dir/figures/.
"""
from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from pathlib import Path

import pymupdf

from chatpaper import __version__
from chatpaper.errors import ChatPaperError, PdfError
from chatpaper.models import Figure, Paper, SourceInfo
from chatpaper.pdf import version
from chatpaper.pdf.frontmatter import FrontMatter, extract_front_matter
from chatpaper.pdf.links import complete_from_annotations, find_code_urls, link_uris
from chatpaper.pdf.sections import (
    REFERENCES,
    assign_roles,
    build_sections,
    find_headings,
    heading_paragraphs,
    section_text,
)
from chatpaper.pdf.text import (
    DocText,
    Line,
    build_doc_text,
    is_quartz,
    join_lines,
    lines_from_dict,
    page_dict,
    page_text,
    respaced_page_dict,
)
from chatpaper.settings import Settings
from chatpaper.sources.local import check_pdf_bytes, has_pdf_header, read_pdf_file

log = logging.getLogger(__name__)

# MuPDF reports repairs on stderr by default; we turn them into Paper.warnings instead.
pymupdf.TOOLS.mupdf_display_errors(False)
pymupdf.TOOLS.mupdf_display_warnings(False)


def _name(source: SourceInfo | None, path: Path | None) -> str:
    if source and source.filename:
        return source.filename
    if path is not None:
        return path.name
    return "The PDF"


def read_bytes(data: bytes | Path, settings: Settings) -> tuple[bytes, Path | None]:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data), None
    path = Path(data)
    return read_pdf_file(path, settings), path


def open_pdf(data: bytes, settings: Settings, name: str = "The PDF") -> tuple[pymupdf.Document, list[str]]:
    """Open and validate; returns the document and warnings about repairs."""
    check_pdf_bytes(data, name, settings)  # the one check of size and signature (a damaged header passes)
    header_ok = has_pdf_header(data)
    pymupdf.TOOLS.reset_mupdf_warnings()
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # MuPDF raises several types for broken files
        raise PdfError(f"{name} is damaged beyond repair; download the PDF again or try another copy.") from exc
    if doc.needs_pass:
        doc.close()
        raise PdfError(f"{name} is password-protected; remove the password (or print it to a new PDF) and try again.")
    try:
        pages = doc.page_count
    except Exception as exc:
        raise PdfError(f"{name} is damaged beyond repair; download the PDF again or try another copy.") from exc
    if pages == 0:
        raise PdfError(f"{name} has no readable pages; download the PDF again or try another copy.")
    if pages > settings.max_pages:
        raise PdfError(f"{name} has {pages} pages, over the {settings.max_pages}-page limit; "
                       "use a shorter PDF or raise CHATPAPER_MAX_PAGES.")
    warnings = []
    if not header_ok or doc.is_repaired:
        warnings.append(f"{name} was damaged; MuPDF repaired what it could.")
    return doc, warnings


def _read_pages(doc: pymupdf.Document) -> tuple[list[list[Line]], list[tuple[float, float]], list[int], list[dict | None]]:
    pages, sizes, lost, dicts = [], [], [], []
    quartz = is_quartz(doc)
    for number in range(doc.page_count):
        data = None
        try:
            page = doc.load_page(number)
            sizes.append((page.rect.width, page.rect.height))
            data = page_dict(page)
            lines = lines_from_dict(data, number + 1, quartz)
            if any(ln.repaired for ln in lines):  # shifted Latin: read again with its word spaces
                data = respaced_page_dict(page)
                lines = lines_from_dict(data, number + 1, quartz)
        except Exception:  # a broken page must not sink the paper
            log.info("page %d unreadable", number + 1, exc_info=True)
            if len(sizes) <= number:
                sizes.append(sizes[-1] if sizes else (612.0, 792.0))
            lines = []
        if not any(ln.kind == "body" for ln in lines):
            lost.append(number + 1)
        pages.append(lines)
        dicts.append(data)
    return pages, sizes, lost, dicts


def page_ranges(numbers: list[int]) -> str:
    ranges, start = [], None
    for k, n in enumerate(numbers):
        if start is None:
            start = n
        if k + 1 == len(numbers) or numbers[k + 1] != n + 1:
            ranges.append(f"{start}" if start == n else f"{start}-{n}")
            start = None
    return ", ".join(ranges)


def _is_scanned(pages: list[list[Line]]) -> bool:
    """Hardly any text on the first pages that have some: the pages are images."""
    needed = 40 * max(1, min(len(pages), 3))
    chars = 0
    for page in pages:
        for line in page:
            if line.kind == "body":
                chars += len(line.text) - line.text.count(" ")
                if chars >= needed:
                    return False
    return True


def parse_pdf(data: bytes | Path, *, out_dir: Path, settings: Settings, source: SourceInfo | None = None,
              on_text: Callable[[Paper], None] | None = None) -> Paper:
    """Read a paper PDF into a Paper; figure PNGs go to out_dir/figures/. Raises PdfError.

    `on_text`, if given, is called with the Paper (figures=[]) once the text is parsed and before the
    figures are rendered, so an app can show the header while the PNGs are still being written.
    """
    raw, path = read_bytes(data, settings)
    name = _name(source, path)
    if source is None:
        source = SourceInfo(kind="pdf", sha256=hashlib.sha256(raw).hexdigest(), filename=path.name if path else None)
    doc, warnings = open_pdf(raw, settings, name)
    try:
        return _parse_document(doc, out_dir=Path(out_dir), settings=settings, source=source,
                               warnings=warnings, name=name, on_text=on_text)
    finally:
        doc.close()


def _parse_document(doc: pymupdf.Document, *, out_dir: Path, settings: Settings, source: SourceInfo,
                    warnings: list[str], name: str, on_text: Callable[[Paper], None] | None = None) -> Paper:
    pages, sizes, lost, dicts = _read_pages(doc)
    if _is_scanned(pages):
        raise PdfError(f"{name} is a scanned PDF, no text to read; run OCR on it (e.g. ocrmypdf) and try again.")
    if warnings and lost:
        warnings[0] = (f"{name} was damaged; MuPDF repaired it but pages {page_ranges(lost)} came out blank, "
                       "so their text is lost.")
    text = build_doc_text(pages, sizes)
    if text.repaired_glyphs:
        warnings.append(f"{name}'s text layer maps some characters to the wrong glyphs (a known fault of some "
                        "Chinese typesetting); they were repaired, so check quotes against the page.")
    lines = [ln for page in text.pages for ln in page]
    try:
        meta_title = (doc.metadata or {}).get("title") or ""
    except Exception:  # noqa: BLE001 - damaged metadata (MuPDF raises several types): no title hint
        meta_title = ""
    # each step degrades on its own: an odd layout must not cost the rest of the paper
    try:
        front = extract_front_matter(text, lines, meta_title)
    except Exception:
        log.info("front matter failed", exc_info=True)
        front = FrontMatter(title=meta_title.strip())
        warnings.append("The title, authors and abstract could not be read from this PDF's layout.")
    try:
        headings = find_headings(text, lines, front.body_start)
        _mark_references(lines, headings)
        parts = heading_paragraphs(text, lines, headings)
        assign_roles(headings, front.title, [section_text(p) for p in parts], front.abstract)
        sections = build_sections(headings, parts)
    except Exception:
        log.info("sections failed", exc_info=True)
        sections = []
        warnings.append("The section headings could not be read from this PDF's layout; the page texts are complete.")
    page_texts = [page_text(page, text.vocab) for page in text.pages]
    paper = Paper(
        source=source,
        title=front.title,
        authors=front.authors,
        affiliations=front.affiliations,
        abstract=front.abstract,
        language=front.language,
        title_en=front.title_en,
        abstract_en=front.abstract_en,
        abstract_page=front.abstract_page,
        abstract_en_page=front.abstract_en_page,
        keywords=front.keywords,
        pages=len(page_texts),  # the pages read: a repair while reading them can leave doc.page_count at 0
        sections=sections,
        code_urls=complete_from_annotations(_code_urls(front.abstract, text, lines), link_uris(doc)),
        arxiv_stamp=_arxiv_stamp(doc) or _abstract_arxiv_id(front.abstract),
        page_texts=page_texts,
        warnings=list(warnings),
        parser={"name": "chatpaper.pdf", "version": version.PARSER_VERSION, "chatpaper": __version__,
                "pymupdf": pymupdf.__version__},
    )
    if on_text is not None:
        on_text(paper)

    figures: list[Figure] = []
    try:
        from chatpaper.pdf.figures import RenderLimits, extract_figures  # noqa: PLC0415
        from chatpaper.pdf.ocr import ocr_reader  # noqa: PLC0415

        limits = RenderLimits(max_pixels=settings.max_figure_pixels, max_page_area=settings.max_page_area,
                              seconds=settings.figure_time_budget_seconds)
        figures = extract_figures(doc, out_dir, dpi=settings.figure_dpi, page_dicts=dicts, limits=limits,
                                  warnings=warnings, page_texts=page_texts,
                                  ocr=ocr_reader(settings.ocr, settings.tessdata, front.language))
    except ChatPaperError:  # a PdfError, or a folder that cannot be written: one sentence for the user
        raise
    except Exception as exc:  # a figure bug must not lose the text of the paper
        log.info("figure extraction failed", exc_info=True)
        warnings.append(f"Figures could not be extracted ({exc.__class__.__name__}); the text is complete.")

    return paper.model_copy(update={"figures": figures, "warnings": warnings})


# The stamp arXiv prints in the left margin of page 1: "arXiv:1412.6980v9 [cs.LG] 30 Jan 2017".
_STAMP = re.compile(r"arXiv:\s*((?:\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})v\d+)\s*\[[A-Za-z\-.]+\]")


def _arxiv_stamp(doc: pymupdf.Document) -> str | None:
    """The versioned arXiv ID of an uploaded arXiv PDF, so its digest can still link to arXiv."""
    if not doc.page_count:
        return None
    try:
        match = _STAMP.search(doc[0].get_text("text"))
    except Exception:  # noqa: BLE001 - a damaged first page: no stamp, nothing else lost
        return None
    return match.group(1) if match else None


# An arXiv link in the abstract ("Extended version: https://arxiv.org/abs/2409.18401") is the paper's own
# preprint: an abstract cites no other paper by URL. Body text may link others' preprints, so only here.
_ABSTRACT_ARXIV = re.compile(r"https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/[^\s<>\"'()\[\]]+", re.I)


def _abstract_arxiv_id(abstract: str) -> str | None:
    """The arXiv ID of the first arXiv link in the abstract that parses as one, else None."""
    from chatpaper.sources.ids import parse_arxiv_id  # noqa: PLC0415 - sources is not a dependency of parsing

    for match in _ABSTRACT_ARXIV.finditer(abstract or ""):
        try:
            ref = parse_arxiv_id(match.group().rstrip(".,;:"))
        except ChatPaperError:
            continue
        return f"{ref.arxiv_id}v{ref.version}" if ref.version else ref.arxiv_id
    return None


def _mark_references(lines: list[Line], headings) -> None:
    """Reference lists are not body text: leave them out of section and page texts."""
    for k, h in enumerate(headings):
        if REFERENCES.fullmatch(h.title):
            stop = headings[k + 1].line_index if k + 1 < len(headings) else len(lines)
            for line in lines[h.line_index:stop]:
                if line.kind == "body":
                    line.kind = "reference"


def _code_urls(abstract: str, text: DocText, lines: list[Line]) -> list[str]:
    """URLs in the abstract, on page 1, in footnotes, and in body sentences that offer code."""
    chunks = [abstract]
    chunks.append(join_lines([ln.text for ln in text.pages[0] if ln.kind == "body"]) if text.pages else "")
    footnotes = [ln.text for ln in lines if ln.kind == "body" and ln.size < text.body_size - 0.8]
    chunks.append(join_lines(footnotes))
    offers = [ln.text for ln in lines if ln.kind == "body" and re.search(r"https?://|github|gitlab", ln.text)]
    chunks.extend(offers)
    urls: list[str] = []
    for chunk in chunks:
        for url in find_code_urls(chunk):
            if url not in urls:
                urls.append(url)
    return urls

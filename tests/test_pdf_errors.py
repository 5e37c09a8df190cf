"""Bad PDFs: each one becomes one PdfError sentence, never another exception."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pymupdf
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from chatpaper.errors import InvalidSourceError, PdfError
from chatpaper.pdf import parse_pdf
from chatpaper.settings import Settings


def _text_pdf(pages: int = 3, *, compress: bool = True) -> bytes:
    doc = pymupdf.open()
    for n in range(pages):
        page = doc.new_page()
        page.insert_text((72, 90), f"A Small Test Paper Page {n + 1}", fontsize=18, fontname="hebo")
        for k in range(20):
            page.insert_text((72, 130 + 14 * k), f"Body line {k} of page {n + 1} with some ordinary words in it.",
                             fontsize=10)
    data = doc.tobytes(deflate=compress, garbage=0 if not compress else 1)
    doc.close()
    return data


def _parse(data: bytes | Path, tmp_path: Path, **limits):
    return parse_pdf(data, out_dir=tmp_path, settings=Settings(**limits))


def _one_sentence(message: str) -> None:
    assert message.endswith(".") and "\n" not in message and "Traceback" not in message


def test_empty_file(tmp_path):
    with pytest.raises(PdfError, match="empty") as info:
        _parse(b"", tmp_path)
    _one_sentence(str(info.value))


def test_not_a_pdf(tmp_path):
    with pytest.raises(PdfError, match="not a PDF") as info:
        _parse(b"<html><body>Sorry, this is a web page.</body></html>", tmp_path)
    _one_sentence(str(info.value))


def test_missing_path(tmp_path):
    # the one local-file check (sources.local) of the CLI, the app and the parser: a path that is not there
    with pytest.raises(InvalidSourceError, match=r"Cannot open nowhere\.pdf: the file does not exist"):
        _parse(tmp_path / "nowhere.pdf", tmp_path)


def test_password_protected(tmp_path):
    doc = pymupdf.open(stream=_text_pdf(1), filetype="pdf")
    locked = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")
    with pytest.raises(PdfError, match="password-protected") as info:
        _parse(locked, tmp_path)
    _one_sentence(str(info.value))


def test_scanned_pdf_without_text_layer(tmp_path):
    doc = pymupdf.open()
    for _ in range(2):
        page = doc.new_page()
        pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 200, 260), False)
        pix.clear_with(200)
        page.insert_image(page.rect, pixmap=pix)
    with pytest.raises(PdfError, match="scanned PDF, no text to read") as info:
        _parse(doc.tobytes(), tmp_path)
    _one_sentence(str(info.value))


def test_too_many_bytes(tmp_path):
    data = _text_pdf(2)
    with pytest.raises(PdfError, match="limit"):
        _parse(data, tmp_path, max_pdf_bytes=len(data) - 1)
    path = tmp_path / "big.pdf"
    path.write_bytes(data)
    with pytest.raises(PdfError, match=r"big\.pdf is .* over the"):
        _parse(path, tmp_path, max_pdf_bytes=len(data) - 1)


def test_too_many_pages(tmp_path):
    with pytest.raises(PdfError, match="3 pages, over the 2-page limit"):
        _parse(_text_pdf(3), tmp_path, max_pages=2)


def test_limits_are_not_refusals_below_them(tmp_path):
    data = _text_pdf(3)
    paper = _parse(data, tmp_path, max_pages=3, max_pdf_bytes=len(data))
    assert paper.pages == 3


def test_damaged_header_is_repaired_with_a_warning(tmp_path):
    data = bytearray(_text_pdf(3, compress=False))
    data[:9] = b"\x00" * 9  # no %PDF header any more
    paper = _parse(bytes(data), tmp_path)
    assert paper.pages == 3
    assert any("damaged" in w for w in paper.warnings)
    assert "Body line 3 of page 2" in paper.page_texts[1]


def test_damaged_file_names_the_lost_pages(tmp_path):
    clean = _text_pdf(3, compress=False)
    data = bytearray(clean)
    data[:9] = b"\x00" * 9
    # wipe the first page's content streams, as a zeroed block in a real file does
    for xref in pymupdf.open(stream=clean, filetype="pdf")[0].get_contents():
        start = clean.index(f"\n{xref} 0 obj".encode())
        end = clean.index(b"endobj", start) + len(b"endobj")
        data[start:end] = b"\x00" * (end - start)
    paper = _parse(bytes(data), tmp_path)
    lost = [w for w in paper.warnings if "came out blank" in w]
    assert lost and "pages 1 came out blank" in lost[0]
    assert "page 2" in paper.page_texts[1]


def test_garbage_with_pdf_header(tmp_path):
    with pytest.raises(PdfError):
        _parse(b"%PDF-1.7\n" + b"\x13\x37" * 500, tmp_path)


# --------------------------------------------------------------------------- fuzz

_VALID = _text_pdf(2)


def _outcome(data: bytes) -> None:
    """Only a Paper or a PdfError may come out, whatever the bytes."""
    with tempfile.TemporaryDirectory() as out:
        try:
            paper = parse_pdf(data, out_dir=Path(out), settings=Settings())
        except PdfError as exc:
            _one_sentence(str(exc))
        else:
            assert paper.pages >= 1


_fuzz = hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_fuzz
@given(st.binary(max_size=4096))
def test_random_bytes_only_raise_pdf_error(data):
    _outcome(data)


@_fuzz
@given(st.integers(min_value=0, max_value=len(_VALID)))
def test_truncated_pdfs_only_raise_pdf_error(cut):
    _outcome(_VALID[:cut])


@_fuzz
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=len(_VALID) - 1), st.integers(0, 7)),
                min_size=1, max_size=40))
def test_bit_flipped_pdfs_only_raise_pdf_error(flips):
    data = bytearray(_VALID)
    for offset, bit in flips:
        data[offset] ^= 1 << bit
    _outcome(bytes(data))


def test_a_page_tree_repaired_while_its_pages_are_read_keeps_the_pages_read(tmp_path):
    """A flipped bit that hypothesis found: MuPDF reads both pages, then its repair counts none."""
    data = bytearray(_VALID)
    data[1586] ^= 1
    paper = _parse(bytes(data), tmp_path)
    assert paper.pages == len(paper.page_texts) == 2


def test_a_failing_step_degrades_with_a_warning(tmp_path, monkeypatch):
    import chatpaper.pdf.reader as reader

    def broken(*args, **kwargs):
        raise IndexError("odd layout")

    monkeypatch.setattr(reader, "find_headings", broken)
    paper = _parse(_text_pdf(2), tmp_path)
    assert paper.sections == [] and paper.title.startswith("A Small Test Paper")
    assert any("section headings could not be read" in w for w in paper.warnings)
    assert "Body line 3 of page 2" in paper.page_texts[1]

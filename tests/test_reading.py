"""Reading a paper: the app, the CLI and the library accept and refuse the same PDFs, in the same words."""
from __future__ import annotations

from pathlib import Path

import pytest

from chatpaper import ui
from chatpaper.__main__ import main
from chatpaper.errors import PdfError, for_cli
from chatpaper.reading import read_paper
from chatpaper.settings import Settings

EXAMPLE_PDF = Path(__file__).resolve().parents[1] / "examples" / "chatpaper-example.pdf"


def cli_error(capsys, *args: str) -> str:
    """The one error line `python -m chatpaper ARGS` prints, without its 'error: ' prefix."""
    assert main(list(args)) == 1
    [line] = [x for x in capsys.readouterr().err.splitlines() if x.strip()]
    assert line.startswith("error: ")
    return line.removeprefix("error: ")


def test_a_51_mib_file_is_the_same_size_over_the_same_limit_in_the_app_the_cli_and_the_library(tmp_path, capsys):
    big = tmp_path / "big.pdf"
    with big.open("wb") as handle:  # sparse: 51 MiB on paper, nothing on disk; the size is refused before reading
        handle.seek(51 * 2**20 - 1)
        handle.write(b"\0")
    settings = Settings(cache_dir=tmp_path / "cache")  # the default 50 MiB limit
    with pytest.raises(PdfError) as app:
        ui.check_upload(big, settings)
    with pytest.raises(PdfError) as library:
        read_paper(big, out_dir=tmp_path / "out", settings=settings)
    cli = cli_error(capsys, "parse", str(big), "--out", str(tmp_path / "cli"))
    assert str(app.value) == str(library.value) == "big.pdf is 51.0 MB, over the 50 MB limit; upload a smaller PDF."
    assert cli == for_cli(str(library.value))
    assert cli == "big.pdf is 51.0 MB, over the 50 MB limit; use a smaller PDF or raise CHATPAPER_MAX_PDF_BYTES."


def damaged_header_pdf(folder: Path) -> Path:
    """The example PDF with its %PDF- header overwritten: its objects are intact, so MuPDF can rebuild it."""
    data = EXAMPLE_PDF.read_bytes()
    assert data.startswith(b"%PDF-") and b"%PDF-" not in data[5:1024]
    path = folder / "damaged.pdf"
    path.write_bytes(b"\0" * 8 + data[8:])
    return path


def test_a_pdf_with_a_damaged_header_is_repaired_by_the_app_the_cli_and_the_library(tmp_path, capsys):
    damaged = damaged_header_pdf(tmp_path)
    settings = Settings(cache_dir=tmp_path / "cache")
    repaired = "damaged.pdf was damaged; MuPDF repaired what it could."

    paper = read_paper(damaged, out_dir=tmp_path / "library", settings=settings)
    assert paper.title.startswith("ChatPaper: Faithful Structured Digests") and repaired in paper.warnings

    assert main(["parse", str(damaged), "--out", str(tmp_path / "cli")]) == 0
    assert f"warning: {repaired}" in capsys.readouterr().err.splitlines()

    assert ui.check_upload(damaged, settings) == damaged.read_bytes()  # no longer refused for its header
    views = list(ui.run_summary("", damaged, "en", "offline", "", "", "", settings=settings))
    assert views[-1].status.startswith("✅"), views[-1].status
    assert "ChatPaper: Faithful Structured Digests" in views[-1].header


@pytest.mark.parametrize(("content", "words"), [
    (b"<html>not a pdf</html>", "notes.pdf is not a PDF file; upload the paper as a PDF."),
    (b"", "notes.pdf is empty; upload the paper's PDF file."),
])
def test_what_is_not_a_pdf_is_refused_in_the_same_sentence_everywhere(tmp_path, capsys, content, words):
    path = tmp_path / "notes.pdf"
    path.write_bytes(content)
    settings = Settings(cache_dir=tmp_path / "cache")
    with pytest.raises(PdfError) as app:
        ui.check_upload(path, settings)
    with pytest.raises(PdfError) as library:
        read_paper(path, out_dir=tmp_path / "out", settings=settings)
    assert str(app.value) == str(library.value) == words
    assert cli_error(capsys, "parse", str(path), "--out", str(tmp_path / "cli")) == for_cli(words)

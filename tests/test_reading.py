"""Reading a paper: the app, the CLI and the library accept and refuse the same PDFs, in the same words."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import serve_arxiv_paper

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


# --------------------------------------------------------------------------- the streamed read and its cache


def no_parse(*_args, **_kwargs):
    raise AssertionError("the repeat parsed the PDF again")


def test_iter_read_streams_the_text_then_the_paper_and_a_repeat_comes_from_the_cache(tmp_path, monkeypatch):
    from chatpaper.reading import PaperReady, TextReady, iter_read

    settings = Settings(cache_dir=tmp_path / "cache")
    held: list[Path] = []
    first = list(iter_read(EXAMPLE_PDF, settings=settings, on_folder=held.append))
    assert [type(e) for e in first] == [TextReady, PaperReady]
    text, ready = first
    assert text.paper.figures == [] and text.paper.title == ready.paper.title and not ready.cached
    assert held == [ready.folder] and all((ready.folder / f.image).is_file() for f in ready.paper.figures)

    monkeypatch.setattr("chatpaper.reading.parse_source", no_parse)
    [again] = list(iter_read(EXAMPLE_PDF.read_bytes(), settings=settings))  # the same bytes, as an upload
    assert isinstance(again, PaperReady) and again.cached and again.folder == ready.folder
    assert again.paper == ready.paper


def test_an_arxiv_read_says_what_arxiv_knows_before_the_pdf_and_counts_the_download(tmp_path):
    import responses

    from chatpaper.reading import DownloadProgress, MetadataReady, PaperReady, TextReady, iter_read
    from chatpaper.sources.arxiv import ArxivSource

    settings = Settings(cache_dir=tmp_path / "cache", arxiv_delay_seconds=0)
    data = EXAMPLE_PDF.read_bytes()
    with responses.RequestsMock() as http:
        serve_arxiv_paper(http, data)
        events = list(iter_read("2405.15619", settings=settings, arxiv=ArxivSource(settings)))
    kinds = [type(e) for e in events]
    assert kinds[0] is MetadataReady and events[0].metadata.versioned_id == "2405.15619v1"
    downloads = [e for e in events if isinstance(e, DownloadProgress)]
    assert downloads and downloads[-1] == DownloadProgress(len(data), len(data))
    assert kinds[-2:] == [TextReady, PaperReady] and set(kinds) == {MetadataReady, DownloadProgress, TextReady,
                                                                     PaperReady}
    ready = events[-1]
    assert ready.folder.name == "arxiv-2405.15619v1" and ready.paper.source.arxiv_id == "2405.15619"
    assert ready.paper.title == events[0].metadata.title  # arXiv's title wins over the PDF's


def test_the_cli_reuses_the_paper_it_parsed_and_the_app_reuses_it_too(tmp_path, monkeypatch, capsys):
    settings = Settings(cache_dir=tmp_path / "cache")  # the CLI's cache too (CHATPAPER_CACHE_DIR, conftest)
    monkeypatch.setenv("CHATPAPER_CACHE_DIR", str(settings.cache_dir))
    assert main(["parse", str(EXAMPLE_PDF), "--out", str(tmp_path / "one")]) == 0
    assert "from the cache" not in capsys.readouterr().err

    monkeypatch.setattr("chatpaper.reading.parse_source", no_parse)
    assert main(["parse", str(EXAMPLE_PDF), "--out", str(tmp_path / "two")]) == 0
    assert "the paper as parsed before (from the cache)" in capsys.readouterr().err
    one, two = ((tmp_path / name / "paper.json").read_text() for name in ("one", "two"))
    assert one == two
    paper = read_paper_json(tmp_path / "two")
    assert paper.figures and all((tmp_path / "two" / f.image).is_file() for f in paper.figures)

    final = list(ui.run_summary("", EXAMPLE_PDF, "en", "offline", "", "", "", settings=settings))[-1]
    assert final.status.startswith("✅"), final.status  # the app found the CLI's parse: no_parse never ran


def read_paper_json(folder: Path):
    from chatpaper.models import Paper

    return Paper.model_validate_json((folder / "paper.json").read_text(encoding="utf-8"))


def test_the_package_exports_the_calls_the_cli_and_the_app_make_and_stays_light_to_import():
    import subprocess
    import sys

    import chatpaper
    from chatpaper import batch, chain, reading, render
    from chatpaper.llm import registry

    assert chatpaper.read is reading.read and chatpaper.iter_read is reading.iter_read
    assert chatpaper.summarize is chain.summarize and chatpaper.write_digest is render.write_digest
    assert chatpaper.get_provider is registry.get_provider and chatpaper.run_digest is batch.run_digest
    assert set(chatpaper.__all__) >= {"read", "summarize", "run_digest", "get_provider", "chosen_provider"}
    loaded = subprocess.run([sys.executable, "-c", "import sys, chatpaper; print(' '.join(sorted(sys.modules)))"],
                            capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[1])
    assert not {"pymupdf", "openai", "requests", "gradio"} & set(loaded.stdout.split())


def test_a_cached_arxiv_paper_takes_what_arxiv_says_now(tmp_path, monkeypatch):
    from chatpaper.models import ArxivMetadata
    from chatpaper.reading import read

    settings = Settings(cache_dir=tmp_path / "cache")
    data = EXAMPLE_PDF.read_bytes()
    before = ArxivMetadata(arxiv_id="2405.15619", version=1, title="The first title", authors=["A. Author"])
    first = read(data, metadata=before, settings=settings)
    monkeypatch.setattr("chatpaper.reading.parse_source", no_parse)
    now = before.model_copy(update={"title": "The title arXiv gives today", "comment": "Code: https://github.com/a/b"})
    again = read(data, metadata=now, settings=settings)  # a batch's search hands over fresh metadata
    assert first.title == "The first title" and again.title == "The title arXiv gives today"
    assert again.metadata == now and "https://github.com/a/b" in again.code_urls


def test_a_cli_run_keeps_the_cache_within_its_age_limit_and_keeps_its_own_paper(tmp_path, monkeypatch):
    import os
    import time

    monkeypatch.setenv("CHATPAPER_CACHE_DIR", str(tmp_path / "cache"))
    stale = tmp_path / "cache" / "runs" / "upload-0123456789abcdef"
    stale.mkdir(parents=True)
    (stale / "paper-old.json").write_text("{}")
    old = time.time() - 40 * 86400  # past the default 30 days
    for path in (stale / "paper-old.json", stale):
        os.utime(path, (old, old))
    assert main(["parse", str(EXAMPLE_PDF), "--out", str(tmp_path / "out")]) == 0
    assert not stale.exists()
    [kept] = [p.name for p in (tmp_path / "cache" / "runs").iterdir()]
    assert kept.startswith("upload-") and kept != stale.name


def test_reading_into_the_cache_folder_itself_copies_nothing_onto_itself(tmp_path):
    from chatpaper.reading import PaperReady, iter_read, read

    settings = Settings(cache_dir=tmp_path / "cache")
    ready = next(e for e in iter_read(EXAMPLE_PDF, settings=settings) if isinstance(e, PaperReady))
    paper = read(EXAMPLE_PDF, out_dir=ready.folder, settings=settings)
    assert paper.figures and all((ready.folder / f.image).is_file() for f in paper.figures)

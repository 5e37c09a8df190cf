"""The app's formatting helpers and handler, at the library level (no server, no browser)."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest import serve_arxiv_paper
from gradio import utils as gradio_utils

from chatpaper import ui
from chatpaper.errors import InvalidSourceError, PdfError
from chatpaper.models import (
    ConclusionStage,
    Digest,
    DigestFigure,
    Header,
    MethodsStage,
    Point,
    Provenance,
    SourceInfo,
    StageRecord,
    SummaryStage,
)
from chatpaper.settings import Settings

EXAMPLE_PDF = ui.EXAMPLE_PDF
HOSTILE = 'Nice <script>window.pwned=1</script> <img src=x onerror="window.pwned=2"> [x](javascript:alert(1))'


def make_digest(**update) -> Digest:
    base = Digest(
        source=SourceInfo(kind="pdf", sha256="ab" * 32),
        lang="en",
        header=Header(title="A Paper", authors=["Ada Lovelace", "Alan Turing"], affiliation="Analytical Engines",
                      arxiv_url="https://arxiv.org/abs/2405.15619v1", code_url="https://github.com/a/b"),
        provenance=Provenance(provider="fake", prompt_version="test"),
    )
    return base.model_copy(update=update)


# --------------------------------------------------------------------------- escaping


def test_escape_md_turns_html_and_markdown_into_visible_text():
    out = ui.escape_md(HOSTILE)
    assert "<script" not in out and "<img" not in out
    assert "&lt;script&gt;" in out and "&lt;img" in out
    assert "](javascript" not in out  # the link syntax is broken by escaping the brackets
    assert "\n" not in ui.escape_md("# heading\n- item\n1. one")


def test_escape_md_links_plain_urls_without_visible_escapes():
    out = ui.escape_md("Code: https://github.com/a_b/c. Not javascript:alert(1)")
    assert "[https://github\\.com/a\\_b/c](https://github.com/a_b/c)\\." in out
    assert "](javascript" not in out


def test_header_shows_facts_and_drops_non_http_links():
    header = Header(title=HOSTILE, authors=["<b>Eve</b>"], affiliation="Lab", arxiv_url="https://arxiv.org/abs/1",
                    code_url="javascript:alert(1)", pdf_url="https://arxiv.org/pdf/1(2)")
    md = ui.format_header(header)
    assert "<script" not in md and "<b>" not in md
    assert "[arXiv](https://arxiv.org/abs/1)" in md
    assert "](javascript" not in md  # the title may mention it as text, never as a link
    assert "[Code]" not in md
    assert "https://arxiv.org/pdf/1%282%29" in md


def test_stage_sections_show_points_with_pages_and_placeholders():
    summary = SummaryStage(
        one_line=Point(text="It works.", pages=[1]),
        key_takeaways=[Point(text=f"take {i}", pages=[i]) for i in range(1, 6)],
        background=Point(text="bg"), past_methods=Point(text="past"),
        proposed_method=Point(text="ours", pages=[2, 3]), performance=Point(text="40% better", pages=[5]),
    )
    digest = make_digest(summary=summary, methods=MethodsStage(steps=[Point(text="<script>x</script>", pages=[4])]))
    md = ui.format_stage(digest, "summary")
    assert "It works\\. [p. 1] ⚠" in md and "ours [p. 2, 3] ⚠" in md and "40% better" in md  # the .md's marks
    assert md.count("\n- ") == 5
    methods = ui.format_stage(digest, "methods")
    assert "1. &lt;script&gt;" in methods and "<script>" not in methods
    assert "Still being written" in ui.format_stage(digest, "conclusion")


def test_failed_stage_shows_its_sentence_and_the_status_names_it():
    record = StageRecord(name="conclusion", status="failed", error="The Gemini key was rejected; add a valid key.")
    digest = make_digest(provenance=Provenance(provider="fake", prompt_version="t", stages=[record]),
                         conclusion=None)
    assert "rejected" in ui.format_stage(digest, "conclusion")
    sentence = ui.failure_sentence(ui.failed_stages(digest))
    assert sentence.startswith("The conclusion section could not be written")
    assert "add a valid key" in sentence


def test_conclusion_formatter_lists_the_four_points():
    stage = ConclusionStage(significance=Point(text="s"), innovation=Point(text="i"),
                            performance=Point(text="p"), workload=Point(text="w"))
    md = ui.format_conclusion(stage)
    for label in ("Significance", "Innovation", "Performance", "Workload"):
        assert label in md


def test_gallery_lists_existing_figures_with_captions_and_stays_inside_the_run(tmp_path):
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "p1-figure-1.png").write_bytes(b"png")
    digest = make_digest(figures=[
        DigestFigure(label="Figure 1", page=1, caption="Pipeline\n overview", image="figures/p1-figure-1.png"),
        DigestFigure(label="Figure 2", page=2, caption="missing", image="figures/p2-figure-2.png"),
        DigestFigure(label="Figure 3", page=2, caption="escape", image="../../etc/passwd"),
    ])
    items = ui.gallery_items(digest, tmp_path)
    assert items == [(str((tmp_path / "figures" / "p1-figure-1.png").resolve()), "Figure 1 (p. 1): Pipeline overview")]


@pytest.mark.parametrize(("caption", "expected"), [
    ("Figure 3: Results on ImageNet.", "Figure 3 (p. 4): Results on ImageNet."),
    ("Fig. 3. Results", "Figure 3 (p. 4): Results"),
    ("Results\n on two lines", "Figure 3 (p. 4): Results on two lines"),
    ("x" * 400, "Figure 3 (p. 4): " + "x" * 400),  # whole: the gallery shows long captions in full
    ("Figure 3 | Multimodal results. Best viewed on screen. 8", "Figure 3 (p. 4): Multimodal results. Best viewed on screen."),
])
def test_figure_caption_does_not_repeat_the_label(caption, expected):
    from chatpaper.render.markdown import figure_caption

    assert figure_caption(DigestFigure(label="Figure 3", page=4, caption=caption), "en") == expected


def test_redact_hides_a_key_inside_a_message():
    assert ui.redact("bad key sk-secret-123 for you", "sk-secret-123") == "bad key •••• for you"
    assert ui.redact("nothing", None) == "nothing"


def test_startup_notice_explains_how_to_add_a_gemini_key(monkeypatch, tmp_path):
    settings = Settings(cache_dir=tmp_path)
    assert "GEMINI_API_KEY" in ui.startup_notice(settings)
    monkeypatch.setenv("GEMINI_API_KEY", "x" * 20)
    assert ui.startup_notice(settings) == ""


def test_offline_notice_is_worded_for_the_moment_and_the_place(monkeypatch, tmp_path):
    monkeypatch.delenv("SPACE_ID", raising=False)
    before = ui.startup_notice(Settings(cache_dir=tmp_path))
    assert "No model wrote" not in before  # nothing has been written yet
    assert "environment" in before and "Space secret" not in before  # a local run exports a variable
    monkeypatch.setenv("SPACE_ID", "someone/chatpaper")
    on_space = ui.startup_notice(Settings(cache_dir=tmp_path))
    assert "Space secret `GEMINI_API_KEY`" in on_space and "environment" not in on_space
    views = list(ui.run_summary("", EXAMPLE_PDF, "en", "offline", "", "", "", settings=Settings(cache_dir=tmp_path)))
    assert "No model wrote this digest" in views[-1].status


# --------------------------------------------------------------------------- uploads


def test_check_upload_accepts_a_real_pdf(tmp_path):
    data = ui.check_upload(EXAMPLE_PDF, Settings(cache_dir=tmp_path))
    assert data.startswith(b"%PDF-")


@pytest.mark.parametrize(("name", "content", "error", "words"), [
    ("notes.txt", b"%PDF-1.7 but a text file", InvalidSourceError, "not a PDF file"),
    ("paper.pdf", b"<html>not a pdf</html>", PdfError, "is not a PDF file"),
    ("empty.pdf", b"", PdfError, "empty"),
])
def test_check_upload_refuses_what_is_not_a_pdf(tmp_path, name, content, error, words):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(error, match=words.replace("%", ".")) as info:
        ui.check_upload(path, Settings(cache_dir=tmp_path))
    assert str(info.value).count(". ") == 0  # one sentence


def test_check_upload_enforces_the_size_limit_before_reading(tmp_path):
    path = tmp_path / "big.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"0" * 2000)
    with pytest.raises(PdfError, match="over the"):
        ui.check_upload(path, Settings(cache_dir=tmp_path, max_pdf_bytes=1000))


def test_zip_figures_packs_the_pngs(tmp_path):
    (tmp_path / "figures").mkdir()
    for n in (1, 2):
        (tmp_path / "figures" / f"p1-figure-{n}.png").write_bytes(b"png%d" % n)
    path = ui.zip_figures(tmp_path)
    assert sorted(zipfile.ZipFile(path).namelist()) == ["figures/p1-figure-1.png", "figures/p1-figure-2.png"]
    assert ui.zip_figures(tmp_path / "nothing") is None


def test_resolve_source_rejects_missing_and_bad_input_before_any_download(tmp_path):
    settings = Settings(cache_dir=tmp_path)
    with pytest.raises(InvalidSourceError, match="arXiv ID"):
        ui.resolve_source("  ", None, settings)
    with pytest.raises(InvalidSourceError):
        ui.resolve_source("not an id at all", None, settings)
    assert ui.resolve_source("https://arxiv.org/abs/2405.15619v1", None, settings) == (
        "https://arxiv.org/abs/2405.15619v1", None)
    assert ui.resolve_source("ignored", EXAMPLE_PDF, settings) == (EXAMPLE_PDF.read_bytes(), EXAMPLE_PDF.name)


def test_a_repeat_reuses_the_parsed_paper_and_the_digest_cache(tmp_path, monkeypatch):
    from fake_llm import canned_provider

    from chatpaper.llm.registry import register_provider, unregister_provider

    provider = canned_provider("en")
    register_provider("fake-repeat", lambda **_: provider)
    settings = Settings(cache_dir=tmp_path)
    try:
        first = list(ui.run_summary("", EXAMPLE_PDF, "en", "fake-repeat", "", "", "", settings=settings))
        calls = provider.calls

        def no_parse(*args, **kwargs):
            raise AssertionError("the repeat parsed the PDF again")

        monkeypatch.setattr("chatpaper.reading.parse_source", no_parse)
        second = list(ui.run_summary("", EXAMPLE_PDF, "en", "fake-repeat", "", "", "", settings=settings))
    finally:
        unregister_provider("fake-repeat")
    assert second[-1].status.startswith("✅") and provider.calls == calls
    assert second[-1].sections == first[-1].sections and second[-1].gallery == first[-1].gallery


def test_read_paper_reports_the_text_before_any_figure_is_rendered(tmp_path):
    from chatpaper.reading import read_paper

    seen = []

    def on_text(paper):
        seen.append((paper.title, paper.figures, sorted((tmp_path / "figures").glob("*.png"))))

    paper = read_paper(EXAMPLE_PDF, out_dir=tmp_path, settings=Settings(cache_dir=tmp_path / "cache"),
                       on_text=on_text)
    [(title, figures, pngs)] = seen
    assert title == paper.title and "ChatPaper" in title
    assert figures == [] and pngs == []  # called before extraction wrote anything
    assert paper.figures and all((tmp_path / f.image).is_file() for f in paper.figures)


def test_an_upload_streams_its_header_before_its_figures(tmp_path):
    views = list(ui.run_summary("", EXAMPLE_PDF, "en", "offline", "", "", "", settings=Settings(cache_dir=tmp_path)))
    first = next(v for v in views if v.header)
    assert "ChatPaper: Faithful Structured Digests" in first.header
    assert first.gallery == [] and "Rendering the figures" in first.status
    with_figures = next(i for i, v in enumerate(views) if v.gallery)
    assert next(i for i, v in enumerate(views) if v.header) < with_figures
    assert not any(views[with_figures].sections.values())  # the figures come before the provider is built
    assert views[-1].gallery == views[with_figures].gallery and views[-1].status.startswith("✅")


def test_a_parse_error_in_the_worker_reaches_the_page_as_one_sentence(tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 50)
    views = list(ui.run_summary("", broken, "en", "offline", "", "", "", settings=Settings(cache_dir=tmp_path)))
    assert views[-1].final and views[-1].status.startswith("⚠️") and "broken.pdf" in views[-1].error
    assert "Traceback" not in views[-1].status


def test_missing_key_keeps_the_header_and_says_how_to_add_one(tmp_path):
    views = list(ui.run_summary("", EXAMPLE_PDF, "en", "gemini", "", "", "", settings=Settings(cache_dir=tmp_path)))
    last = views[-1]
    assert last.final and last.status.startswith("⚠️") and "GEMINI\\_API\\_KEY" in last.status
    assert last.error == "No Gemini API key was given; set GEMINI_API_KEY or paste a key."
    assert "Traceback" not in last.status
    assert "ChatPaper: Faithful Structured Digests" in last.header  # the parsed paper's header stays


def test_a_model_file_path_typed_in_the_app_is_refused_not_loaded(tmp_path):
    model = tmp_path / "other-model.gguf"
    model.write_bytes(b"GGUF")
    views = list(ui.run_summary("", EXAMPLE_PDF, "en", "local", str(model), "", "",
                                settings=Settings(cache_dir=tmp_path / "cache")))
    last = views[-1]
    assert last.final and last.error.startswith("The Model box takes a model name, not a .gguf file")
    # Fields are checked before any work: the refusal comes before the PDF is parsed.
    assert last.header == "" and not (tmp_path / "cache" / "runs").exists()


# --------------------------------------------------------------------------- the app object


def test_create_app_builds_without_launching_and_exposes_summarize(tmp_path):
    app = ui.create_app(Settings(cache_dir=tmp_path, max_concurrency=3, max_queue=7))
    names = [dep.get("api_name") for dep in app.config["dependencies"]]
    assert "summarize" in names
    assert app.is_running is False
    assert app._queue.max_size == 7
    assert app._queue.default_concurrency_limit == 3
    key_box = next(b for b in app.blocks.values() if getattr(b, "elem_id", None) == "cp-key")
    assert key_box.type == "password"


def test_example_pdf_is_small_and_has_a_figure_caption():
    import pymupdf

    assert EXAMPLE_PDF.stat().st_size < 300_000
    with pymupdf.open(EXAMPLE_PDF) as doc:
        text = "".join(page.get_text() for page in doc)
        assert 2 <= doc.page_count <= 3
        assert "Figure 1:" in text and "2  Method" in text.replace("2 Method", "2  Method")
        assert any(page.get_drawings() for page in doc)  # the figures are vector graphics


# --------------------------------------------------------------------------- daily digest tab


class FakeArxiv:
    """search() finds two papers; download() hands over the example PDF (no network)."""

    def __init__(self, found: int = 2):
        from chatpaper.models import ArxivMetadata

        self.found = [ArxivMetadata(arxiv_id=f"2405.1561{i}", version=1, title=f"Paper number {i}",
                                    authors=["Ada Lovelace"], abstract="An abstract.") for i in range(found)]

    def search(self, query, **_):
        return list(self.found)

    def download(self, meta):
        return EXAMPLE_PDF


def test_daily_digest_streams_the_post_and_offers_the_zip(tmp_path):
    from fake_llm import canned_provider

    from chatpaper.llm.registry import register_provider, unregister_provider

    register_provider("fake-daily", lambda **_: canned_provider("en"))
    try:
        updates = list(ui.run_daily("Diffusion Models", 1, 2, "en", "fake-daily", "", arxiv=FakeArxiv(),
                                    settings=Settings(cache_dir=tmp_path)))
    finally:
        unregister_provider("fake-daily")
    statuses = [status for status, _, _, _ in updates]
    assert any("of 2 papers done" in s for s in statuses[:-1])
    status, shown, markdown, zipped = updates[-1]
    assert status.startswith("✅ 2 of 2 papers"), status
    assert "Paper number 0" in markdown and "Paper number 1" in markdown and markdown.startswith("---")
    assert zipped and zipfile.is_zipfile(zipped)
    # Handed out as copies in Gradio's own cache; the run's folder under the cache is gone (no growth).
    gradio_cache = Path(gradio_utils.get_upload_folder()).resolve()
    assert Path(zipped).resolve().is_relative_to(gradio_cache)
    assert not any((tmp_path / "runs" / "posts").iterdir())
    # The page shows images the app serves; the post in the zip keeps its relative links.
    relative = re.findall(r'<img src="([^"]+)"', markdown)
    served = re.findall(r'<img src="([^"]+)"', shown)
    assert relative and all(src.startswith("images/") for src in relative)
    assert len(served) == len(relative) and all(src.startswith("gradio_api/file=/") for src in served)
    assert all(Path(unquote(src.removeprefix("gradio_api/file="))).resolve().is_relative_to(gradio_cache)
               and Path(unquote(src.removeprefix("gradio_api/file="))).is_file() for src in served)
    with zipfile.ZipFile(zipped) as zf:
        post = next(zf.read(n).decode() for n in zf.namelist() if n.endswith(".md"))
    assert re.findall(r'<img src="([^"]+)"', post) == relative and "gradio_api" not in post


def test_post_for_display_serves_images_inside_the_post_and_shows_html_as_text(tmp_path):
    (tmp_path / "images" / "p").mkdir(parents=True)
    (tmp_path / "images" / "p" / "fig.png").write_bytes(b"png")
    (tmp_path.parent / "outside.png").write_bytes(b"png")
    markdown = "\n".join([
        "---", "title: <script>alert(1)</script>", "---", "",
        "## A <img src=x onerror=alert(1)> title &amp; more", "",
        "<details>", "  <summary>Figures from the paper</summary>",
        '<img src="images/p/fig.png" alt="Figure 1" align="middle">', "<p><em>Figure 1: a &lt;b&gt;</em></p>",
        '<img src="images/p/missing.png" alt="Figure 2" align="middle">',
        '<img src="../outside.png" alt="Figure 3" align="middle">',
        "</details>",
        '<img src="images/p/fig.png" onerror="alert(1)">',
        "Code: [repo](https://github.com/a/b) and [x](javascript:alert(1)) and [y]( data:text/html,hi)",
        "A remote ![tracker](https://evil.example/pixel.png) image in an abstract.",
    ])
    shown = ui.post_for_display(markdown, tmp_path)
    copy = Path(ui.serve_copy(tmp_path / "images" / "p" / "fig.png"))
    assert copy.read_bytes() == b"png" and copy.resolve().is_relative_to(Path(gradio_utils.get_upload_folder()).resolve())
    assert f'<img src="{ui.file_url(copy)}" alt="Figure 1" align="middle">' in shown
    assert "missing.png" not in shown and "outside.png" not in shown  # not files we extracted: no image at all
    assert shown.startswith("```yaml\ntitle: <script>alert(1)</script>\n```")  # code: shown, not run
    assert "## A &lt;img src=x onerror=alert(1)> title &amp; more" in shown  # the post's entity shows as "&"
    assert '&lt;img src="images/p/fig.png" onerror="alert(1)">' in shown  # not the writer's figure HTML
    assert "<details>" in shown and "<p><em>Figure 1: a &lt;b&gt;</em></p>" in shown
    assert "[repo](https://github.com/a/b)" in shown and "](javascript" not in shown and "]( data:" not in shown
    assert ui.post_for_display(markdown, None).count("gradio_api") == 0
    assert "![tracker]" not in shown and "!\\[tracker]" in shown  # a Markdown image shows as text


def test_daily_digest_without_a_topic_or_papers_says_what_to_do(tmp_path):
    settings = Settings(cache_dir=tmp_path, provider="offline")
    [(status, _, _, zipped)] = list(ui.run_daily("  ", 1, 5, "en", "offline", "", settings=settings))
    assert "Type a topic" in status and zipped is None
    *_, (status, _, _, zipped) = list(ui.run_daily("Nothing", 1, 5, "en", "offline", "", arxiv=FakeArxiv(0),
                                                settings=settings))
    assert "No new papers" in status and zipped is None


# --------------------------------------------------------------------------- arXiv without network


API = "https://export.arxiv.org/api/query"


@pytest.fixture(scope="session")
def dns_failure():
    """The ConnectionError requests raises when arxiv.org does not resolve (getaddrinfo faked, the rest real)."""
    import socket
    from unittest import mock

    import requests

    def no_dns(*_args, **_kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with mock.patch.object(socket, "getaddrinfo", no_dns):
        try:
            requests.get(API, timeout=5)
        except requests.ConnectionError as exc:
            return exc
    raise AssertionError("the request did not fail")


def test_an_unreachable_arxiv_says_so_at_once_and_suggests_the_upload(tmp_path, dns_failure):
    import responses

    from chatpaper.sources.arxiv import ArxivSource

    settings = Settings(cache_dir=tmp_path)  # the default 3 retries: none of them may be spent
    sleeps: list[float] = []
    with responses.RequestsMock() as http:
        http.get(API, body=dns_failure)
        views = list(ui.run_summary("https://arxiv.org/abs/2405.15619", None, "en", "offline", "", "", "",
                                    settings=settings, arxiv=ArxivSource(settings, sleep=sleeps.append)))
        calls = len(http.calls)
    assert calls == 1 and sleeps == []
    assert views[0].status.startswith("⏳ Looking up arXiv")
    last = views[-1]
    assert last.final and last.status.startswith("⚠️") and "upload the PDF instead" in last.error
    assert "try again in a few minutes" not in last.error


def test_the_arxiv_download_shows_its_progress_in_mb(tmp_path):
    import responses

    from chatpaper.sources.arxiv import ArxivSource

    settings = Settings(cache_dir=tmp_path, arxiv_delay_seconds=0)
    data = EXAMPLE_PDF.read_bytes()
    with responses.RequestsMock() as http:
        serve_arxiv_paper(http, data)
        views = list(ui.run_summary("2405.15619", None, "en", "offline", "", "", "", settings=settings,
                                    arxiv=ArxivSource(settings)))
    statuses = [v.status for v in views]
    total = f"{len(data) / 1e6:.1f}"
    assert any(re.match(rf"⏳ Downloading the PDF, {total} of {total} MB", s) for s in statuses), statuses
    assert views[-1].status.startswith("✅")


def test_download_text_says_how_much_of_how_much():
    assert ui.download_text(1_200_000, 3_400_000) == "Downloading the PDF, 1.2 of 3.4 MB"
    assert ui.download_text(500_000, None) == "Downloading the PDF, 0.5 MB so far"


def test_an_upload_beside_an_arxiv_id_is_read_and_the_page_says_so(tmp_path):
    views = list(ui.run_summary("2405.15619", EXAMPLE_PDF, "en", "offline", "", "", "",
                                settings=Settings(cache_dir=tmp_path)))
    assert "uploaded PDF (chatpaper-example.pdf) is read; the arXiv box is ignored" in views[0].status.replace("\\", "")
    assert "ChatPaper: Faithful Structured Digests" in views[-1].header
    assert views[-1].status.startswith("✅") and "the arXiv box is ignored" in views[-1].status
    assert ui.source_note("", EXAMPLE_PDF) == "" and ui.source_note("2405.15619", None) == ""


# --------------------------------------------------------------------------- the daily tab without arXiv


def test_the_daily_tab_digests_uploaded_pdfs_without_arxiv(tmp_path):
    second = tmp_path / "second paper.pdf"
    second.write_bytes(EXAMPLE_PDF.read_bytes())
    settings = Settings(cache_dir=tmp_path / "cache")
    updates = list(ui.run_daily("", 1, 5, "en", "offline", "", [str(EXAMPLE_PDF), str(second)],
                                settings=settings))
    status, _shown, markdown, zipped = updates[-1]
    assert status.startswith("✅ 2 of 2 papers in the post"), status
    assert "No model wrote this post" in status  # the offline notice, as on the first tab
    assert markdown.count("\n## ChatPaper: Faithful Structured Digests") == 2
    assert "title: Paper digest" in markdown  # no topic: a title in the post's language, not a folder name
    assert zipped and zipfile.is_zipfile(zipped)
    assert not any((tmp_path / "cache" / "uploads").iterdir())  # the staged copies are gone after the run


def test_the_daily_tab_titles_an_upload_post_with_the_topic_and_refuses_a_non_pdf(tmp_path):
    settings = Settings(cache_dir=tmp_path / "cache")
    *_, (status, _, markdown, _) = list(ui.run_daily("My reading list", 1, 5, "en", "offline", "",
                                                     [str(EXAMPLE_PDF)], settings=settings))
    assert status.startswith("✅ 1 of 1") and "title: My reading list" in markdown
    notes = tmp_path / "notes.pdf"
    notes.write_text("not a pdf")
    [(status, _, _, zipped)] = list(ui.run_daily("", 1, 5, "en", "offline", "", [str(notes)], settings=settings))
    assert status.startswith("⚠️") and "notes\\.pdf" in status and zipped is None
    assert ui.toast_text(status).startswith("notes.pdf is not a PDF")


def test_toast_text_is_the_plain_sentence_of_a_warning_only():
    assert ui.toast_text("⚠️ Type a topic, e\\.g\\. x") == "Type a topic, e.g. x"
    assert ui.toast_text(f"⚠️ {ui.escape_md('Bad [thing] (a.pdf).')}") == "Bad [thing] (a.pdf)."
    assert ui.toast_text("✅ 2 of 2 papers in the post.") is None
    # Gradio renders a toast as HTML: a visitor's markup comes back as text, never as a tag
    assert ui.toast_text(f"⚠️ {ui.escape_md('No <img src=x onerror=alert(1)> here.')}") == (
        "No &lt;img src=x onerror=alert(1)&gt; here.")


def test_the_gallery_shows_every_figure_with_the_chosen_first(tmp_path):
    from chatpaper.chain import choose_figures
    from chatpaper.models import Figure, Paper

    figures = [Figure(label=f"Figure {i}", page=i, caption=f"Figure {i}: caption {i}. " + "Long words. " * 60,
                      bbox=(0, 0, 100, 100), image=f"figures/f{i}.png") for i in range(1, 8)]
    (tmp_path / "figures").mkdir()
    for f in figures:
        (tmp_path / f.image).write_bytes(b"png")
    paper = Paper(source=SourceInfo(kind="pdf", sha256="ab" * 32), title="T", pages=8, figures=figures)
    chosen = choose_figures(paper)
    items = ui.gallery_items(ui.all_figures(chosen, paper), tmp_path)
    assert len(items) == 7  # all of them, not the 3 the digest chose
    assert [Path(path).name for path, _ in items[:len(chosen)]] == [Path(f.image).name for f in chosen]
    assert all(caption.endswith("Long words.") for _, caption in items)  # whole captions, never cut mid-sentence


def test_the_arxiv_box_is_capped_so_summarize_stays_on_screen(tmp_path):
    app = ui.create_app(Settings(cache_dir=tmp_path))
    box = next(b for b in app.blocks.values() if getattr(b, "elem_id", None) == "cp-arxiv")
    assert box.max_lines <= 3

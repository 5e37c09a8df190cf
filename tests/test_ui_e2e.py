"""The launched app, called with gradio_client: real server on a loopback port, fake LLM, arXiv mocked.

The server runs in this process (Gradio serves from a thread), so `responses` intercepts its
arXiv requests while gradio_client talks to it over real HTTP (httpx, which `responses` leaves alone).
"""
from __future__ import annotations

import importlib.util
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import responses
from conftest import CORPUS_PDFS, corpus_pdf
from fake_llm import ScriptedProvider, canned_reply, stage_of
from served import free_port

from chatpaper import ui
from chatpaper.errors import ProviderError
from chatpaper.llm.registry import register_provider, unregister_provider
from chatpaper.settings import Settings

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "arxiv"
API = "https://export.arxiv.org/api/query"
PDF_URL = "https://arxiv.org/pdf/2405.15619v1"
# Stages finish in this order, a little apart, so the stream has distinct intermediate states.
STAGE_DELAY = {"metadata": 0.05, "summary": 0.3, "methods": 0.6, "conclusion": 0.9}
OVERLOADED = "The model is overloaded right now; try again in a minute or pick another provider."


def corpus_or_example_pdf() -> Path:
    path = CORPUS_PDFS / "1212.5701.pdf"
    return path if path.exists() else ui.EXAMPLE_PDF


def second_pdf(tmp_path: Path) -> Path:
    """The example paper under another title: a second, different paper that needs no corpus."""
    spec = importlib.util.spec_from_file_location("make_example_pdf", ROOT / "examples" / "make_example_pdf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.TITLE = "Second Paper: Concurrency Without Shared Keys"
    path = tmp_path / "second.pdf"
    path.write_bytes(module.build())
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    calls: list[tuple[str | None, str, str]] = []  # (api key, stage, prompt) per provider call
    lock = threading.Lock()

    def fake(*, api_key=None, model=None, **_):
        def reply(request):
            stage = stage_of(request) or "?"
            with lock:
                calls.append((api_key, stage, request.prompt))
            time.sleep(STAGE_DELAY.get(stage, 0))
            return canned_reply(request, lang="en")
        return ScriptedProvider(reply, model=model)

    def failing(*, model=None, **_):
        def reply(request):
            if stage_of(request) == "conclusion":
                return ProviderError(OVERLOADED)
            return canned_reply(request, lang="en")
        return ScriptedProvider(reply, model=model)

    register_provider("fake", fake)
    register_provider("fake-failing", failing)
    settings = Settings(cache_dir=tmp_path_factory.mktemp("cache"), arxiv_delay_seconds=0, arxiv_retries=1,
                        max_concurrency=4, http_timeout_seconds=5)
    app = ui.create_app(settings)
    port = free_port()
    ui.launch(app, settings, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{port}/", settings=settings, calls=calls,
                              tmp=tmp_path_factory.mktemp("files"))
    finally:
        app.close()
        unregister_provider("fake")
        unregister_provider("fake-failing")


def call(server, *, arxiv="", pdf: Path | None = None, provider="fake", model="", key="", lang="en",
         client: Client | None = None):
    """Submit one summarize request; returns (final outputs, all streamed outputs)."""
    client = client or Client(server.url, verbose=False)
    job = client.submit(arxiv, handle_file(str(pdf)) if pdf else None, lang, provider, model, "", key,
                        api_name="/summarize")
    final = job.result(timeout=120)
    return final, job.outputs()


def page_states(outputs: list) -> list[dict]:
    """What the page shows after each streamed update: a skipped output keeps its previous value."""
    states, current = [], {}
    for update in outputs:
        for name, value in as_dict(update).items():
            if value != {"__type__": "update"}:
                current[name] = value
        states.append(dict(current))
    return states


def as_dict(outputs) -> dict:
    names = ["status", "header", "metadata", "summary", "methods", "conclusion", "gallery", "downloads"]
    return dict(zip(names, outputs, strict=True))


@pytest.fixture
def arxiv_http():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru("http://127.0.0.1")
        mock.get(API, body=(FIXTURES / "paper_2405.15619v1.xml").read_text(encoding="utf-8"),
                 content_type="application/atom+xml; charset=utf-8")
        mock.get(PDF_URL, body=corpus_or_example_pdf().read_bytes(), content_type="application/pdf")
        yield mock


def test_arxiv_id_with_arxiv_mocked_gives_header_sections_gallery_and_downloads(server, arxiv_http):
    final, outputs = call(server, arxiv="https://arxiv.org/abs/2405.15619v1", model="arxiv-test")
    early = next(s for s in page_states(outputs) if s["header"])
    assert "Downloading" in early["status"] and "Sparse Diffusion Priors" in early["header"]  # before the parse
    out = as_dict(final)
    assert out["status"].startswith("✅"), out["status"]
    assert "Sparse Diffusion Priors" in out["header"]  # the title from arXiv's metadata, not the PDF
    assert "[arXiv](https://arxiv.org/abs/2405.15619v1)" in out["header"]
    assert "Key Takeaways" in out["summary"] and "Methods" in out["methods"] and "Workload" in out["conclusion"]
    names = sorted(Path(d).name for d in out["downloads"])
    assert any(n.endswith(".md") for n in names) and any(n.endswith(".json") for n in names)
    if out["gallery"]:
        assert all(item["caption"].startswith("Figure") for item in out["gallery"])
    assert any(c.url.startswith(API) for c in (call_.request for call_ in arxiv_http.calls))


def test_uploaded_pdf_streams_header_first_then_each_stage(server):
    final, outputs = call(server, pdf=ui.EXAMPLE_PDF, model="stream-test")
    states = page_states(outputs)
    assert len(states) >= 4, [s["status"] for s in states]
    first_header = next(i for i, s in enumerate(states) if s["header"])
    assert "ChatPaper" in states[first_header]["header"]
    # The header streams as soon as the text is parsed, while the figure PNGs are still being rendered.
    assert not states[first_header]["gallery"] and "Rendering the figures" in states[first_header]["status"]
    first_gallery = next(i for i, s in enumerate(states) if s["gallery"])
    assert first_gallery > first_header
    assert not states[first_gallery]["conclusion"] or "Still being written" in states[first_gallery]["conclusion"]
    assert any("Still being written" in s["conclusion"] and "Key Takeaways" in s["summary"] for s in states)
    assert sum(o[6] != {"__type__": "update"} for o in outputs) <= 3, "figures are not re-sent on every update"
    out = as_dict(final)
    assert out == states[-1]  # the last update is complete: it is the API's result
    assert out["status"].startswith("✅")
    assert all("Still being written" not in out[s] for s in ui.STAGES)
    assert out["gallery"][0]["caption"].startswith("Figure 1 (p. 1): The ChatPaper pipeline")
    zipped = [d for d in out["downloads"] if d.endswith(".zip")]
    assert zipped, out["downloads"]


def test_uploaded_corpus_pdf_gets_its_own_figures(server):
    final, outputs = call(server, pdf=corpus_pdf("1412.6980.pdf"), model="corpus-upload")
    first = next(s for s in page_states(outputs) if s["header"])
    assert "Adam" in first["header"] and not first["gallery"]  # the header did not wait for the figures
    out = as_dict(final)
    assert out["status"].startswith("✅"), out["status"]
    assert "Adam" in out["header"]
    assert out["gallery"] and all(item["caption"].startswith("Figure") for item in out["gallery"])


def test_repeat_is_answered_from_the_cache_without_provider_calls(server):
    call(server, pdf=ui.EXAMPLE_PDF, model="repeat-test")
    before = len(server.calls)
    final, _ = call(server, pdf=ui.EXAMPLE_PDF, model="repeat-test")
    assert len(server.calls) == before
    assert as_dict(final)["status"].startswith("✅")


@pytest.mark.parametrize(("arxiv", "words"), [
    ("not a paper id", "Not an arXiv ID or link"),
    ("https://example.com/paper.pdf", "Only arXiv links are read"),
    ("", "Paste an arXiv ID"),
])
def test_bad_input_gives_one_sentence_and_no_traceback(server, arxiv, words):
    final, _ = call(server, arxiv=arxiv)
    status = as_dict(final)["status"]
    assert status.startswith("⚠️") and words.split()[0] in status
    assert "Traceback" not in status and "Error" not in status


def test_html_renamed_to_pdf_is_refused_before_parsing(server):
    fake_pdf = server.tmp / "paper.pdf"
    fake_pdf.write_text("<html><script>alert(1)</script></html>")
    final, _ = call(server, pdf=fake_pdf)
    status = as_dict(final)["status"]
    assert "paper.pdf is not a PDF file" in status.replace("\\", "")  # the library's one sentence


def test_non_pdf_upload_is_refused(server):
    notes = server.tmp / "notes.txt"
    notes.write_text("just text")
    # The upload box accepts .pdf only; Gradio refuses other types itself with a readable message.
    with pytest.raises(AppError, match=r"Invalid file type.*pdf"):
        call(server, pdf=notes)


def test_failing_stage_keeps_the_others_and_says_what_to_do(server):
    final, _ = call(server, pdf=ui.EXAMPLE_PDF, provider="fake-failing", model="fail-test")
    out = as_dict(final)
    assert "conclusion section could not be written" in out["status"]
    assert "pick another provider" in out["status"]
    assert "Key Takeaways" in out["summary"] and "Methods" in out["methods"]
    assert "ChatPaper" in out["header"]


def test_two_sessions_with_different_keys_reach_only_their_own_calls(server, tmp_path):
    other = second_pdf(tmp_path)
    results: dict[str, tuple] = {}

    def session(name: str, pdf: Path, key: str):
        results[name] = call(server, pdf=pdf, key=key, model="key-test")

    threads = [threading.Thread(target=session, args=("a", ui.EXAMPLE_PDF, "key-AAAA-1111")),
               threading.Thread(target=session, args=("b", other, "key-BBBB-2222"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert as_dict(results["a"][0])["status"].startswith("✅")
    assert as_dict(results["b"][0])["status"].startswith("✅")
    by_key = {key: [prompt for k, _, prompt in server.calls if k == key] for key in ("key-AAAA-1111", "key-BBBB-2222")}
    assert by_key["key-AAAA-1111"] and by_key["key-BBBB-2222"]
    assert all("Second Paper" not in p for p in by_key["key-AAAA-1111"])
    assert all("Second Paper" in p for p in by_key["key-BBBB-2222"])
    for outputs in (results["a"][0], results["b"][0]):  # a key is never echoed to the page
        assert not any("key-AAAA" in str(o) or "key-BBBB" in str(o) for o in outputs)
    for path in server.settings.cache_dir.rglob("*"):  # ...nor written to the cache, digests or downloads
        if path.is_file():
            data = path.read_bytes()
            assert b"key-AAAA" not in data and b"key-BBBB" not in data, path


def test_offline_provider_shows_the_notice_on_how_to_add_a_key(server):
    final, _ = call(server, pdf=ui.EXAMPLE_PDF, provider="offline")
    status = as_dict(final)["status"]
    assert "Offline mode" in status and "GEMINI_API_KEY" in status


def test_daily_digest_tab_is_callable_and_explains_a_missing_topic(server):
    status, shown, post, zipped = Client(server.url, verbose=False).predict("", 1, 5, "en", "fake", "", None,
                                                                           api_name="/daily_digest")
    assert "Type a topic" in status and zipped is None and post == shown == ""


def test_post_images_are_served_at_the_url_the_daily_tab_links(server):
    import httpx

    post_dir = ui.runs_dir(server.settings) / "posts" / "served-test"
    image = post_dir / "images" / "paper" / "figures" / "p1-figure-1.png"
    image.parent.mkdir(parents=True)
    image.write_bytes(ui.EXAMPLE_PDF.read_bytes()[:64])
    shown = ui.post_for_display('<img src="images/paper/figures/p1-figure-1.png" alt="Figure 1" align="middle">',
                                post_dir)
    src = shown.split('"')[1]
    response = httpx.get(server.url + src, timeout=30)
    assert response.status_code == 200 and response.content == image.read_bytes()
    outside = httpx.get(server.url + ui.file_url(ROOT / "pyproject.toml"), timeout=30)
    assert outside.status_code == 403  # only the run folders are served


def test_served_config_keeps_no_run_history_and_limits_uploads(server):
    import httpx

    config = httpx.get(server.url + "config", timeout=30).json()
    assert config["run_history"] is False  # inputs, keys among them, are not saved in the browser
    assert config["max_file_size"] == server.settings.max_pdf_bytes
    key_box = next(c for c in config["components"] if c.get("props", {}).get("elem_id") == "cp-key")
    assert key_box["props"]["type"] == "password"


def test_a_second_session_cannot_fetch_the_first_ones_files(server):
    """Nothing of the cache is served; a request's outputs are copies only its response names."""
    import httpx

    first = Client(server.url, verbose=False, download_files=False)
    final, _ = call(server, pdf=ui.EXAMPLE_PDF, model="private-test", client=first)
    out = as_dict(final)
    assert out["status"].startswith("✅"), out["status"]
    served = [d["path"] for d in out["downloads"]] + [item["image"]["path"] for item in out["gallery"]]
    cache = server.settings.cache_dir.resolve()
    assert served and not any(Path(p).resolve().is_relative_to(cache) for p in served)
    # The parsed paper, digests and figures in the cache: the first session's own private data.
    private = [p for p in (cache / "runs").rglob("*") if p.is_file()]
    assert any(p.name.startswith("paper-") and p.suffix == ".json" for p in private)
    assert not (cache / "runs" / "requests").exists() or not any((cache / "runs" / "requests").iterdir())
    with httpx.Client(base_url=server.url, timeout=10) as other:  # a second visitor, with no session
        for path in private:
            answer = other.get(f"gradio_api/file={path}")
            assert answer.status_code in (403, 404), (path, answer.status_code)
        for path in served:  # while what a response handed out is fetched by its URL
            assert other.get(f"gradio_api/file={path}").status_code == 200, path

"""The app in a real browser: Debian's chromium driven by pip's Playwright.

Skips with a reason where /usr/bin/chromium is absent (`.ci/run` installs it as root).
Screenshots go to test-artifacts/ (gitignored). Waits are on selectors, with generous timeouts.
"""
from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymupdf
import pytest
import responses
from conftest import corpus_pdf
from fake_llm import ScriptedProvider, canned_reply, stage_of
from served import BROWSER_MARKS, BROWSER_TIMEOUT, free_port

from chatpaper import ui
from chatpaper.llm.registry import register_provider, unregister_provider
from chatpaper.settings import Settings

pytestmark = BROWSER_MARKS

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
FIXTURES = Path(__file__).parent / "fixtures" / "arxiv"
API = "https://export.arxiv.org/api/query"
PDF_URL = "https://arxiv.org/pdf/2405.15619v1"
# The conclusion comes last, well after the header, so the page visibly fills in stage by stage.
STAGE_DELAY = {"metadata": 0.2, "summary": 0.8, "methods": 1.2, "conclusion": 4.0}
# However long the paste, the arXiv box is at most this many times its one-line height (two lines and
# padding): fixed here, not read from ui, so that raising the app's cap fails the test.
ARXIV_BOX_MAX_HEIGHTS = 2.6
SCRIPT = "<script>window.__pwned='script';alert('script')</script>"
IMG = "<img src=x onerror=\"window.__pwned='img';alert('img')\">"


def hostile_reply(request) -> str:
    """A model reply whose summary carries HTML that must show as text."""
    data = json.loads(canned_reply(request, lang="en"))
    if stage_of(request) == "summary":
        data["one_line"]["text"] = f"Hostile model text {SCRIPT} {IMG} end."
    return json.dumps(data)


def make_hostile_pdf(path: Path) -> Path:
    """A small paper whose title, body and figure caption carry <script> and <img onerror>."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_textbox(pymupdf.Rect(50, 50, 545, 120), f"Hostile Paper {SCRIPT} {IMG}", fontsize=16,
                        fontname="hebo", align=pymupdf.TEXT_ALIGN_CENTER)
    page.insert_textbox(pymupdf.Rect(50, 125, 545, 145), "Mallory Example", fontsize=11,
                        align=pymupdf.TEXT_ALIGN_CENTER)
    body = ("This paper tests that text from a PDF is shown as text. " * 6).strip()
    y = 170
    for heading in ("1 Introduction", "2 Method", "3 Experiments", "4 Conclusion"):
        page.insert_text((50, y), heading, fontsize=12, fontname="hebo")
        page.insert_textbox(pymupdf.Rect(50, y + 8, 545, y + 80), f"{body} {IMG}", fontsize=10)
        y += 95
        if heading == "2 Method":
            shape = page.new_shape()
            shape.draw_rect(pymupdf.Rect(150, y, 445, y + 90))
            shape.draw_line((160, y + 80), (430, y + 10))
            shape.finish(color=(0, 0, 0.6), fill=(0.9, 0.9, 1), width=1.5)
            shape.commit()
            page.insert_textbox(pymupdf.Rect(50, y + 96, 545, y + 130), f"Figure 1: A hostile caption {IMG}",
                                fontsize=9)
            y += 140
    doc.save(path)
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    def fake(*, model=None, **_):
        def reply(request):
            time.sleep(STAGE_DELAY.get(stage_of(request) or "", 0))
            hostile = "text from a PDF is shown as text" in request.prompt
            return hostile_reply(request) if hostile else canned_reply(request, lang="en")
        return ScriptedProvider(reply, model=model)

    register_provider("fake-browser", fake)
    settings = Settings(cache_dir=tmp_path_factory.mktemp("cache"), provider="fake-browser", lang="en",
                        arxiv_delay_seconds=0, arxiv_retries=1, http_timeout_seconds=5)
    app = ui.create_app(settings)
    port = free_port()
    ui.launch(app, settings, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()
        unregister_provider("fake-browser")


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.set_default_timeout(BROWSER_TIMEOUT)
    page.goto(server, wait_until="domcontentloaded")
    page.wait_for_selector("#cp-go")
    yield page
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def wait_for_upload(page, name: str) -> None:
    """The upload box lists the file (its name may be split over elements, so compare flattened text)."""
    page.wait_for_function("name => document.querySelector('#cp-upload').innerText.replace(/\\s/g, '').includes(name)",
                           arg=name)


def test_arxiv_id_shows_header_then_sections_then_gallery(page):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru("http://127.0.0.1")
        mock.get(API, body=(FIXTURES / "paper_2405.15619v1.xml").read_text(encoding="utf-8"),
                 content_type="application/atom+xml; charset=utf-8")
        mock.get(PDF_URL, body=ui.EXAMPLE_PDF.read_bytes(), content_type="application/pdf")
        page.locator("#cp-arxiv textarea, #cp-arxiv input").first.fill("2405.15619v1")
        page.click("#cp-go")
        header = page.wait_for_selector("#cp-header h2:has-text('Sparse Diffusion Priors')")
        assert header.is_visible()
        # The header is on the page while the slowest stage is still being written.
        page.wait_for_selector("#cp-conclusion :text('Still being written')")
        page.wait_for_selector("#cp-summary :text('Key Takeaways')")
        page.wait_for_selector("#cp-conclusion :text('Workload')")
        page.wait_for_selector("#cp-gallery img")
        page.wait_for_selector("#cp-status :text('Done')")
    assert page.locator("#cp-gallery img").count() >= 1
    shot(page, "ui-arxiv.png")
    assert page.dialogs == []


def test_uploaded_pdf_is_summarised(page):
    page.set_input_files("#cp-upload input[type=file]", str(ui.EXAMPLE_PDF))
    wait_for_upload(page, "chatpaper-example.pdf")
    page.click("#cp-go")
    page.wait_for_selector("#cp-header h2:has-text('ChatPaper: Faithful Structured Digests')")
    page.wait_for_selector("#cp-status :text('Done')")
    page.wait_for_selector("#cp-gallery img")
    assert "Key Takeaways" in page.inner_text("#cp-summary")
    shot(page, "ui-upload.png")
    page.locator("#cp-gallery button.thumbnail-item").first.click()  # a figure opens large, over the window
    preview = page.wait_for_selector("#cp-gallery .preview img")
    assert preview.bounding_box()["width"] > 0.6 * page.viewport_size["width"]
    assert page.is_visible("#cp-gallery .preview .caption:has-text('Figure 1 (p. 1)')")
    page.screenshot(path=str(ARTIFACTS / "ui-figure-preview.png"))
    page.keyboard.press("Escape")  # and closes again
    page.wait_for_selector("#cp-gallery .preview", state="detached")


def test_a_corpus_paper_shows_each_figure_at_column_width_with_its_whole_caption(page):
    page.set_input_files("#cp-upload input[type=file]", str(corpus_pdf("1412.6980.pdf")))
    wait_for_upload(page, "1412.6980.pdf")
    page.click("#cp-go")
    page.wait_for_selector("#cp-status :text('Done')")
    page.wait_for_selector("#cp-gallery img")
    layout = page.evaluate("""() => {
        const grid = document.querySelector('#cp-gallery .grid-container').getBoundingClientRect();
        return [...document.querySelectorAll('#cp-gallery .thumbnail-lg')].map(item => {
            const img = item.querySelector('img').getBoundingClientRect();
            const caption = item.querySelector('.caption-label');
            return {img_w: img.width, img_h: img.height, grid_w: grid.width, item_h: item.getBoundingClientRect().height,
                    caption: caption.innerText, clipped: caption.scrollWidth > caption.clientWidth + 1};
        });
    }""")
    assert len(layout) >= 2, layout
    for item in layout:
        assert item["img_w"] > 0.9 * item["grid_w"], item  # full column width: the plot labels can be read
        assert item["item_h"] < item["img_h"] + 150, item  # no square box of empty margin around a wide figure
        assert item["caption"].startswith("Figure") and not item["clipped"], item
    shot(page, "ui-gallery-corpus.png")


def test_daily_digest_post_shows_its_figures_in_the_page(page):
    now = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    feed = re.sub(r"<(published|updated)>[^<]+</", rf"<\1>{now}</",
                  (FIXTURES / "search_diffusion.xml").read_text(encoding="utf-8"))  # new papers, whatever today is
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru("http://127.0.0.1")
        mock.get(API, body=feed, content_type="application/atom+xml; charset=utf-8")
        mock.get(re.compile(r"https?://(export\.)?arxiv\.org/pdf/.+"), body=ui.EXAMPLE_PDF.read_bytes(),
                 content_type="application/pdf")
        page.get_by_role("tab", name="Daily digest").click()
        page.locator("#cp-daily-topic textarea, #cp-daily-topic input").first.fill("Diffusion Models")
        page.click("#cp-daily-go")
        page.wait_for_selector("#cp-daily-status :text('papers in the post')", timeout=3 * BROWSER_TIMEOUT)
    assert "✅" in page.inner_text("#cp-daily-status"), page.inner_text("#cp-daily-status")
    page.evaluate("document.querySelectorAll('#cp-daily-preview details').forEach(d => d.open = true)")
    page.wait_for_function("""() => {
        const imgs = [...document.querySelectorAll('#cp-daily-preview img')];
        return imgs.length > 0 && imgs.every(img => img.complete && img.naturalWidth > 0);
    }""")  # every figure of the post loads from the app: no broken image
    assert page.locator("#cp-daily-preview h2").count() >= 1
    shot(page, "ui-daily-digest.png")


def test_script_and_img_onerror_in_paper_and_reply_execute_nothing(page, tmp_path):
    hostile = make_hostile_pdf(tmp_path / "hostile.pdf")
    page.set_input_files("#cp-upload input[type=file]", str(hostile))
    wait_for_upload(page, "hostile.pdf")
    page.click("#cp-go")
    page.wait_for_selector("#cp-status :text('Done')")
    header = page.inner_text("#cp-header")
    assert "<img src=x onerror=" in header  # the PDF's markup is shown as text, not run
    summary = page.inner_text("#cp-summary")
    assert f"Hostile model text {SCRIPT} {IMG} end." in summary  # so is the model's
    page.wait_for_timeout(500)  # give any injected handler a moment to fire before looking
    assert page.evaluate("window.__pwned") is None
    assert page.dialogs == []
    assert page.locator("#cp-header script, #cp-summary script, #cp-header img, #cp-summary img").count() == 0
    shot(page, "ui-hostile.png")


def test_example_pdf_row_fills_the_upload_and_runs(page):
    page.click("text=chatpaper-example.pdf")
    wait_for_upload(page, "chatpaper-example.pdf")
    page.click("#cp-go")
    page.wait_for_selector("#cp-header h2:has-text('ChatPaper: Faithful Structured Digests')")
    page.wait_for_selector("#cp-status :text('Done')")


def _hosts_seen(page) -> list[str]:
    """Every host the page asks for from now on (data: and blob: URLs have none)."""
    from urllib.parse import urlsplit

    hosts: list[str] = []
    page.on("request", lambda request: hosts.append(urlsplit(request.url).hostname or ""))
    return hosts


def test_daily_tab_with_hostile_feed_runs_no_script_and_fetches_only_from_the_app(page, tmp_path):
    """Titles, abstracts and comments from arXiv carry <script>, <img onerror> and a remote Markdown image."""
    from xml.sax.saxutils import escape

    hosts = _hosts_seen(page)
    now = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    remote = "![pixel](https://evil.example/pixel.png)"
    feed = re.sub(r"<(published|updated)>[^<]+</", rf"<\1>{now}</",
                  (FIXTURES / "search_diffusion.xml").read_text(encoding="utf-8"))
    feed = feed.replace("<title>Diffusion Models Meet Tiny Budgets</title>",
                        f"<title>Diffusion Models {escape(SCRIPT)} {escape(IMG)}</title>")
    feed = feed.replace("<summary>We train diffusion models on a laptop.</summary>",
                        f"<summary>We train {escape(IMG)} {escape(remote)} diffusion models.</summary>")
    feed = feed.replace("<arxiv:comment>8 pages, 4 figures</arxiv:comment>",
                        f"<arxiv:comment>8 pages {escape(SCRIPT)}</arxiv:comment>")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru("http://127.0.0.1")
        mock.get(API, body=feed, content_type="application/atom+xml; charset=utf-8")
        hostile = make_hostile_pdf(tmp_path / "hostile.pdf").read_bytes()
        mock.get(re.compile(r"https?://(export\.)?arxiv\.org/pdf/.+"), body=hostile, content_type="application/pdf")
        page.get_by_role("tab", name="Daily digest").click()
        page.locator("#cp-daily-topic textarea, #cp-daily-topic input").first.fill(f"Diffusion {IMG}")
        page.click("#cp-daily-go")
        page.wait_for_selector("#cp-daily-status :text('papers in the post')", timeout=3 * BROWSER_TIMEOUT)
    page.evaluate("document.querySelectorAll('#cp-daily-preview details').forEach(d => d.open = true)")
    page.wait_for_timeout(800)  # give any injected handler or image a moment before looking
    preview = page.inner_text("#cp-daily-preview")
    assert "<img src=x onerror=" in preview and "<script>" in preview  # shown as text
    assert page.evaluate("window.__pwned") is None and page.dialogs == []
    assert page.locator("#cp-daily-preview script").count() == 0
    srcs = page.eval_on_selector_all("#cp-daily-preview img", "imgs => imgs.map(i => i.getAttribute('src'))")
    assert all(src.startswith("gradio_api/file=") for src in srcs), srcs  # our own figures only
    assert "127.0.0.1" in hosts and set(hosts) <= {"127.0.0.1"}, sorted(set(hosts))


def test_paper_tab_with_hostile_pdf_and_reply_fetches_only_from_the_app(page, tmp_path):
    hosts = _hosts_seen(page)
    page.reload(wait_until="domcontentloaded")
    page.wait_for_selector("#cp-go")
    hostile = make_hostile_pdf(tmp_path / "hostile.pdf")
    # A toast renders HTML: text typed in the arXiv box must not become an image fetched from elsewhere.
    page.locator("#cp-arxiv textarea, #cp-arxiv input").first.fill('2405.15619 <img src="https://evil.example/t.png">')
    page.click("#cp-go")  # an arXiv box with markup: one sentence, in a toast too, shown as text
    page.wait_for_selector("#cp-status :text('⚠️')")
    page.locator("#cp-arxiv textarea, #cp-arxiv input").first.fill("")
    page.set_input_files("#cp-upload input[type=file]", str(hostile))
    wait_for_upload(page, "hostile.pdf")
    page.click("#cp-go")
    page.wait_for_selector("#cp-status :text('Done')")
    page.wait_for_timeout(800)
    assert page.evaluate("window.__pwned") is None and page.dialogs == []
    assert "127.0.0.1" in hosts and set(hosts) <= {"127.0.0.1"}, sorted(set(hosts))


# --------------------------------------------------------------------------- layout (issue 12)


def settled_box(page, locator, polls: int = 3) -> dict:
    """LOCATOR's bounding box once it has stayed the same for POLLS checks 150 ms apart (a resize is done)."""
    last, same = locator.bounding_box(), 0
    for _ in range(100):
        page.wait_for_timeout(150)
        box = locator.bounding_box()
        same = same + 1 if box == last else 0
        if same >= polls:
            return box
        last = box
    return last


def test_a_5000_character_paste_leaves_summarize_on_screen(browser, server):
    """The arXiv box grows to ARXIV_BOX_MAX_LINES at most; a long paste scrolls inside it."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})  # a laptop's first screen
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)
    try:
        page.goto(server, wait_until="domcontentloaded")
        box = page.locator("#cp-arxiv textarea, #cp-arxiv input").first
        box.wait_for()
        before = box.bounding_box()
        box.focus()
        page.keyboard.insert_text(("https://arxiv.org/abs/2405.15619 " * 160)[:5000])  # as a paste does
        assert len(box.input_value()) == 5000
        after = settled_box(page, box)  # Gradio resizes the textarea a tick after its input event
        page.evaluate("window.scrollTo(0, 0)")
        go = page.locator("#cp-go").bounding_box()
        line = before["height"]  # one line, as the page first shows it
        assert after["height"] <= ARXIV_BOX_MAX_HEIGHTS * line, (before, after)
        assert go["y"] + go["height"] <= page.viewport_size["height"], go  # Summarize is still on the first screen
        scroll = box.evaluate("el => [el.scrollHeight, el.clientHeight]")
        assert scroll[0] > scroll[1], scroll  # the rest of the paste scrolls inside the box
        shot(page, "ui-long-paste.png")
    finally:
        context.close()


def test_at_400px_wide_the_examples_table_fits_and_no_cell_is_clipped(browser, server):
    context = browser.new_context(viewport={"width": 400, "height": 900})  # a phone
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)
    try:
        page.goto(server, wait_until="domcontentloaded")
        page.wait_for_selector("#cp-examples table")
        page.locator("#cp-examples").scroll_into_view_if_needed()
        layout = page.evaluate("""() => {
            const table = document.querySelector('#cp-examples table');
            const rect = table.getBoundingClientRect();
            const clippers = [];  // every ancestor that hides or scrolls what sticks out of it
            for (let el = table.parentElement; el && el !== document.body; el = el.parentElement) {
                const style = getComputedStyle(el);
                if (style.overflowX !== 'visible') {
                    clippers.push({right: el.getBoundingClientRect().right, scroll: el.scrollWidth, client: el.clientWidth});
                }
            }
            const cells = [...table.querySelectorAll('th, td')].map(cell => {
                const r = cell.getBoundingClientRect();
                // the cell and everything in it: a name cut with an ellipsis is wider inside than it shows
                const scroll = Math.max(...[cell, ...cell.querySelectorAll('*')].map(el => el.scrollWidth - el.clientWidth));
                return {text: cell.innerText, right: r.right, overflow: scroll};
            });
            return {right: rect.right, width: innerWidth, page: document.documentElement.scrollWidth, clippers, cells};
        }""")
        assert layout["right"] <= layout["width"], layout  # the table ends inside the window
        assert layout["page"] <= layout["width"], layout  # and the page has no sideways scroll
        for clipper in layout["clippers"]:
            assert clipper["scroll"] <= clipper["client"] + 1, clipper  # nothing hidden to the right
        assert any("chatpaper-example.pdf" in cell["text"] for cell in layout["cells"]), layout["cells"]
        for cell in layout["cells"]:
            assert cell["right"] <= layout["right"] + 1 and cell["overflow"] <= 1, cell
        shot(page, "ui-examples-400px.png")
    finally:
        context.close()


def test_an_arxiv_id_beside_an_upload_the_page_says_the_upload_was_read(page):
    page.locator("#cp-arxiv textarea, #cp-arxiv input").first.fill("2405.15619")
    page.set_input_files("#cp-upload input[type=file]", str(ui.EXAMPLE_PDF))
    wait_for_upload(page, "chatpaper-example.pdf")
    page.click("#cp-go")
    page.wait_for_selector("#cp-status :text('Done')")
    status = page.inner_text("#cp-status")
    assert "The uploaded PDF (chatpaper-example.pdf) is read; the arXiv box is ignored" in status, status
    assert "ChatPaper: Faithful Structured Digests" in page.inner_text("#cp-header")  # not the arXiv paper


def test_the_daily_tab_writes_a_post_of_uploaded_pdfs_offline_with_the_notice_and_toasts(page, tmp_path):
    """No arXiv at all: two uploaded PDFs make the post; a file that is not a PDF gets a toast and a sentence."""
    second = tmp_path / "second-paper.pdf"
    second.write_bytes(ui.EXAMPLE_PDF.read_bytes())
    page.get_by_role("tab", name="Daily digest").click()
    notes = tmp_path / "notes.pdf"
    notes.write_text("just some notes, not a PDF", encoding="utf-8")
    page.set_input_files("#cp-daily-upload input[type=file]", [str(ui.EXAMPLE_PDF), str(notes)])
    page.wait_for_function("() => document.querySelector('#cp-daily-upload').innerText.includes('notes')")
    page.click("#cp-daily-go")
    toast = page.wait_for_selector("[data-testid='toast-body']:has-text('notes.pdf is not a PDF')")
    assert toast.is_visible()
    assert "notes.pdf is not a PDF" in page.inner_text("#cp-daily-status")
    page.locator("#cp-daily-upload button[aria-label='Clear']").first.click()
    page.set_input_files("#cp-daily-upload input[type=file]", [str(ui.EXAMPLE_PDF), str(second)])
    page.wait_for_function("() => document.querySelector('#cp-daily-upload').innerText.includes('second')")
    page.locator("#cp-daily-provider input").first.fill("offline")
    page.keyboard.press("Enter")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:  # no arXiv URL answers
        mock.add_passthru("http://127.0.0.1")
        page.click("#cp-daily-go")
        page.wait_for_selector("#cp-daily-status :text('papers in the post')", timeout=3 * BROWSER_TIMEOUT)
        asked = [call.request.url for call in mock.calls if "127.0.0.1" not in call.request.url]
    status = page.inner_text("#cp-daily-status")
    assert "✅ 2 of 2 papers in the post." in status and "No model wrote this post" in status, status
    assert page.locator("#cp-daily-preview h2").count() >= 2
    assert asked == []  # nothing was asked of arXiv
    shot(page, "ui-daily-uploads.png")

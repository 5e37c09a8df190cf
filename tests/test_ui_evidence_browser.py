"""The evidence panel in a real browser: opening a point shows its quote and the highlighted page;
a crop's URL is its session's own (Debian's chromium driven by pip's Playwright)."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from served import BROWSER_MARKS, BROWSER_TIMEOUT, free_port

from chatpaper import ui
from chatpaper.settings import Settings

pytestmark = BROWSER_MARKS

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # A session's end is noticed at its next heartbeat: a short one keeps the test short.
    old = os.environ.get("GRADIO_HEARTBEAT_INTERVAL")
    os.environ["GRADIO_HEARTBEAT_INTERVAL"] = "1"
    settings = Settings(cache_dir=tmp_path_factory.mktemp("cache"), provider="offline", lang="en")
    app = ui.create_app(settings)
    port = free_port()
    ui.launch(app, settings, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()
        if old is None:
            os.environ.pop("GRADIO_HEARTBEAT_INTERVAL", None)
        else:
            os.environ["GRADIO_HEARTBEAT_INTERVAL"] = old


def open_session(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)
    page.goto(server, wait_until="domcontentloaded")
    page.wait_for_selector("#cp-go")
    return context, page


def summarize_example(page) -> None:
    page.set_input_files("#cp-upload input[type=file]", str(ui.EXAMPLE_PDF))
    page.wait_for_function("() => document.querySelector('#cp-upload').innerText.replace(/\\s/g, '')"
                           ".includes('chatpaper-example.pdf')")
    page.click("#cp-go")
    page.wait_for_selector("#cp-status :text('Done')")
    page.wait_for_selector("#cp-evidence details[data-point]")


def open_first_point(page) -> str:
    """Open the first point; returns its crop's URL once the image has loaded."""
    page.locator("#cp-evidence details[data-point] > summary").first.click()
    page.wait_for_function("() => { const img = document.querySelector('#cp-evidence details[open] img.cp-crop');"
                           " return img && img.complete && img.naturalWidth > 0; }")
    return page.eval_on_selector("#cp-evidence details[open] img.cp-crop", "img => img.src")


def test_opening_a_point_shows_its_quote_and_the_highlighted_page(browser, server):
    context, page = open_session(browser, server)
    try:
        summarize_example(page)
        points = page.locator("#cp-evidence details[data-point]")
        assert points.count() >= 10  # every point of the digest
        assert "points verified against the paper" in page.inner_text("#cp-evidence")
        first = points.first
        assert first.locator("summary").inner_text().startswith("✓")  # its mark, before it is opened
        assert "(p. 1)" in first.locator("summary").inner_text()  # and its pages
        assert not first.locator("blockquote").is_visible()  # closed: the quote is not shown yet
        assert page.locator("#cp-evidence img.cp-crop").count() == 0  # and nothing was rendered
        url = open_first_point(page)
        opened = page.locator("#cp-evidence details[open]")
        assert opened.count() == 1
        quote = opened.locator("blockquote").inner_text()
        assert "We present ChatPaper" in quote  # the paper's sentence the point rests on
        assert "Found on the cited page, p. 1" in opened.inner_text()
        size = page.eval_on_selector("#cp-evidence details[open] img.cp-crop",
                                     "img => [img.naturalWidth, img.naturalHeight]")
        assert size[0] > size[1] > 0  # a band of the page, not a whole page or a broken image
        # the crop is highlighted: some of its pixels are yellow (blue well below red)
        yellow = page.evaluate("""src => new Promise((done) => {
            const img = new Image();
            img.onload = () => {
              const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
              const g = c.getContext('2d'); g.drawImage(img, 0, 0);
              const d = g.getImageData(0, 0, c.width, c.height).data; let n = 0;
              for (let i = 0; i < d.length; i += 4) if (d[i] - d[i + 2] > 40) n++;
              done(n);
            };
            img.src = src;
        })""", url)
        assert yellow > 100
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "ui-evidence.png"), full_page=True)
        # a second point opens beside the first, which keeps its image
        page.locator("#cp-evidence details[data-point] > summary").nth(1).click()
        page.wait_for_function("() => document.querySelectorAll('#cp-evidence details[open] img.cp-crop').length >= 2")
        assert page.locator("#cp-evidence details[open]").count() == 2
    finally:
        context.close()


def test_a_crop_url_from_one_session_does_not_load_in_another(browser, server):
    first, page = open_session(browser, server)
    summarize_example(page)
    url = open_first_point(page)
    assert page.request.get(url).status == 200
    first.close()  # the first visitor leaves; their session's copies go at its end
    second, other = open_session(browser, server)
    try:
        deadline = time.monotonic() + 30
        status = other.request.get(url).status
        while status == 200 and time.monotonic() < deadline:
            time.sleep(0.5)
            status = other.request.get(url).status
        assert status in (403, 404)
        loaded = other.evaluate("""src => new Promise((done) => {
            const img = new Image(); img.onload = () => done(true); img.onerror = () => done(false); img.src = src;
        })""", url)
        assert loaded is False
        # the second visitor opening the same point gets a copy of their own, which loads
        summarize_example(other)
        own = open_first_point(other)
        assert own != url and other.request.get(own).status == 200
    finally:
        second.close()

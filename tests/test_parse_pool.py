"""The app's parse pool: papers parsed in worker processes, so one slow or hostile PDF holds one worker
and never the other visitors' papers; a worker over its time or memory limit fails with one sentence."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from chatpaper.errors import PdfError
from chatpaper.pdf.pool import ParsePool
from chatpaper.reading import read_paper
from chatpaper.settings import Settings
from tests.pdf_factory import huge_figure_pdf

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "chatpaper-example.pdf"
# Caps lifted and a low dpi: rendering these crops takes seconds and a few hundred MB (a slow paper).
SLOW = dict(figure_dpi=60, max_page_area=1e12, max_figure_pixels=10**12)


@pytest.fixture
def pool():
    made = ParsePool(workers=2, timeout=120, memory_mb=1536)
    yield made
    made.close()


def test_a_pooled_parse_is_the_in_process_parse_and_streams_its_text_first(pool, tmp_path):
    seen = []
    pooled = read_paper(EXAMPLE, out_dir=tmp_path / "a", pool=pool, on_text=lambda p: seen.append(p))
    local = read_paper(EXAMPLE, out_dir=tmp_path / "b")
    assert pooled.model_dump() == local.model_dump()
    assert [p.figures for p in seen] == [[]] and seen[0].title == pooled.title
    assert pooled.figures and all((tmp_path / "a" / f.image).is_file() for f in pooled.figures)


def test_a_bad_pdf_is_the_same_sentence_and_the_worker_is_reused(pool, tmp_path):
    with pytest.raises(PdfError, match="not a PDF"):
        pool.parse(b"hello, not a pdf", out_dir=tmp_path, settings=Settings(), name="notes.txt")
    worker = pool._idle[0]
    pool.parse(EXAMPLE.read_bytes(), out_dir=tmp_path, settings=Settings())
    assert pool._idle == [worker]


def test_a_slow_paper_does_not_hold_up_a_normal_one(pool, tmp_path):
    slow_done = threading.Event()

    def slow():
        try:
            return pool.parse(huge_figure_pdf(pages=2), out_dir=tmp_path / "slow", settings=Settings(**SLOW))
        finally:
            slow_done.set()

    with ThreadPoolExecutor(2) as threads:
        slow_future = threads.submit(slow)
        normal = pool.parse(EXAMPLE.read_bytes(), out_dir=tmp_path / "normal", settings=Settings())
        normal_finished_first = not slow_done.is_set()
        slow_paper = slow_future.result()
    assert normal.figures and normal_finished_first
    assert [f.image is not None for f in slow_paper.figures] == [True, True]  # the slow one did finish


def test_a_parse_over_the_timeout_is_stopped_and_only_that_paper_fails(tmp_path):
    quick = ParsePool(workers=1, timeout=1.0, memory_mb=1536)
    try:
        with pytest.raises(PdfError) as info:
            quick.parse(huge_figure_pdf(pages=4), out_dir=tmp_path, settings=Settings(**SLOW), name="big.pdf")
        assert str(info.value).startswith("big.pdf took over 1 s to read and was stopped")
        assert "CHATPAPER_PARSE_TIMEOUT_SECONDS" in str(info.value)
        assert quick._idle == []  # the stuck worker was killed, not returned
        assert quick.parse(EXAMPLE.read_bytes(), out_dir=tmp_path, settings=Settings()).figures
    finally:
        quick.close()


def test_a_worker_memory_limit_turns_a_huge_render_into_a_caption(tmp_path):
    """Without the caps a 3 KB PDF asks for a 1 GB pixmap; the worker's limit refuses it, the text stays."""
    small = ParsePool(workers=1, timeout=120, memory_mb=768)
    try:
        paper = small.parse(huge_figure_pdf(pages=1), out_dir=tmp_path,
                            settings=Settings(max_page_area=1e12, max_figure_pixels=10**12))
    finally:
        small.close()
    assert "A Very Large Page 1" in paper.page_texts[0]
    assert [(f.label, f.image) for f in paper.figures] == [("Figure 1", None)]

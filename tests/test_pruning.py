"""The cache's disk bound: age first, then oldest use first, never what a request holds."""
from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from chatpaper import ui
from chatpaper.chain.cache import DigestCache
from chatpaper.pruning import prune_cache, touch, units
from chatpaper.settings import Settings

DAY = 86400.0


def unit(path: Path, size: int, age_days: float, now: float) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "blob.bin").write_bytes(b"x" * size)
    stamp = now - age_days * DAY
    for p in (path / "blob.bin", path):
        os.utime(p, (stamp, stamp))
    return path


def test_oldest_first_until_under_the_size_limit(tmp_path):
    now = time.time()
    runs = tmp_path / "runs"
    old = unit(runs / "upload-old", 4000, 3, now)
    mid = unit(runs / "upload-mid", 4000, 2, now)
    new = unit(runs / "arxiv-new", 4000, 1, now)
    report = prune_cache(tmp_path, max_bytes=9000, max_age_days=30, now=now)
    assert not old.exists() and mid.exists() and new.exists()
    assert report.removed == 1 and report.freed_bytes == 4000 and report.size_after <= 9000


def test_age_limit_removes_old_units_whatever_the_size(tmp_path):
    now = time.time()
    pdfs = tmp_path / "arxiv" / "pdfs"
    pdfs.mkdir(parents=True)
    stale = pdfs / "2401.00001v1.pdf"
    stale.write_bytes(b"%PDF old")
    os.utime(stale, (now - 40 * DAY, now - 40 * DAY))
    fresh = pdfs / "2401.00002v1.pdf"
    fresh.write_bytes(b"%PDF new")
    post = unit(tmp_path / "runs" / "posts" / "abc123", 10, 31, now)
    prune_cache(tmp_path, max_bytes=10**9, max_age_days=30, now=now)
    assert not stale.exists() and fresh.exists() and not post.exists()
    assert (tmp_path / "runs" / "posts").is_dir()  # the container stays; only its runs go


def test_held_and_recently_used_units_are_spared_by_size(tmp_path):
    now = time.time()
    runs = tmp_path / "runs"
    held = unit(runs / "upload-held", 4000, 3, now)
    recent = unit(runs / "upload-recent", 4000, 0.001, now)  # used about a minute and a half ago
    report = prune_cache(tmp_path, max_bytes=10, max_age_days=30, keep=[held], grace_seconds=600, now=now)
    assert held.exists() and recent.exists() and report.removed == 0


def test_a_cache_hit_makes_a_unit_the_newest(tmp_path):
    now = time.time()
    a = unit(tmp_path / "runs" / "a", 10, 5, now)
    b = unit(tmp_path / "runs" / "b", 10, 4, now)
    touch(a)
    assert [u.path.name for u in units(tmp_path)] == ["b", "a"]
    prune_cache(tmp_path, max_bytes=15, max_age_days=30)
    assert a.exists() and not b.exists()


def test_old_digest_rows_go_by_age(tmp_path):
    cache = DigestCache(tmp_path / "digests.sqlite")
    cache.close()
    with sqlite3.connect(tmp_path / "digests.sqlite") as conn:
        conn.executemany("INSERT INTO stages VALUES (?,?,?,?,?,?,?,?,?)", [
            ("old", "p", "m", "en", "v1", "summary", "{}", "{}", time.time() - 40 * DAY),
            ("new", "p", "m", "en", "v1", "summary", "{}", "{}", time.time()),
        ])
    report = prune_cache(tmp_path, max_bytes=10**9, max_age_days=30)
    with sqlite3.connect(tmp_path / "digests.sqlite") as conn:
        left = [r[0] for r in conn.execute("SELECT paper_key FROM stages")]
    assert report.digest_rows == 1 and left == ["new"]


def test_the_app_prunes_after_a_request_with_a_tiny_limit(tmp_path, monkeypatch):
    """A tiny cache_max_bytes: after a request, older papers' folders are gone, the new one stays."""
    settings = Settings(cache_dir=tmp_path, provider="offline", lang="en", cache_max_bytes=1)
    now = time.time()
    stale = [unit(tmp_path / "runs" / f"upload-{i}", 2000, 2 + i, now) for i in range(3)]
    monkeypatch.setattr(ui, "PRUNER", ui.CachePruner())
    monkeypatch.setattr(ui, "PRUNE_GRACE_SECONDS", 600.0)
    views = list(ui.run_summary("", str(ui.EXAMPLE_PDF), "en", "offline", "", "", "", settings=settings))
    assert views[-1].status.startswith("✅"), views[-1].status
    assert not any(p.exists() for p in stale)
    left = [p.name for p in (tmp_path / "runs").iterdir() if p.name != "requests"]
    assert len(left) == 1 and left[0].startswith("upload-")  # the request's own paper, used just now


def test_the_cli_prunes_as_the_app_does(tmp_path, monkeypatch, capsys):
    from chatpaper.__main__ import main

    now = time.time()
    old = unit(tmp_path / "runs" / "upload-old", 5000, 2, now)
    new = unit(tmp_path / "runs" / "upload-new", 5000, 1, now)
    monkeypatch.setenv("CHATPAPER_CACHE_MAX_BYTES", "6000")
    assert main(["--cache-dir", str(tmp_path), "prune"]) == 0
    assert not old.exists() and new.exists()
    assert "Removed 1 cached entries" in capsys.readouterr().out

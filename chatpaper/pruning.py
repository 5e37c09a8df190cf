"""The cache's disk bound: what is older than `cache_max_age_days` goes, then the oldest first until the
cache is under `cache_max_bytes`.

A unit is what one request reuses as a whole: a paper's folder under runs/ (parsed paper, figures), a
daily run's posts/<uuid> or a request's requests/<uuid> folder, a downloaded arXiv PDF. Its age is its
last use (`touch` on a cache hit), not its creation. Digest rows in digests.sqlite go by age only: they
are small, and a size-only rule could not say which of a paper's rows are worth keeping. Units in use
by a running request (`keep`), or used in the last `grace_seconds`, are never removed by size, so
pruning never pulls a folder (or a PDF just downloaded) from under a request.
"""
from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Iterable
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

# A unit used this recently is never pruned for size (the app after a request, the CLI after a run): a PDF
# just downloaded, a folder being parsed or read from.
PRUNE_GRACE_SECONDS = 600.0
# Folders under runs/ whose children (not themselves) are units: one per daily run / per request.
_PER_RUN = ("posts", "requests")


@dataclass(frozen=True)
class Unit:
    path: Path
    size: int
    last_used: float


@dataclass
class PruneReport:
    removed: int = 0
    freed_bytes: int = 0
    digest_rows: int = 0
    size_after: int = 0


def touch(path: Path) -> None:
    """Mark a unit as just used (a cache hit), so pruning by age and by size spares it longest."""
    with suppress(OSError):  # a read-only cache is reported where it is written; pruning then sees an older use
        os.utime(path)


def _measure(path: Path) -> tuple[int, float]:
    """Bytes on disk and the newest mtime of PATH and everything under it."""
    try:
        stat = path.stat()
    except OSError:
        return 0, 0.0
    if not path.is_dir():
        return stat.st_size, stat.st_mtime
    size, newest = 0, stat.st_mtime
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                st = os.stat(os.path.join(root, name), follow_symlinks=False)
            except OSError:
                continue
            size += st.st_size
            newest = max(newest, st.st_mtime)
    return size, newest


def units(cache_dir: Path) -> list[Unit]:
    """Every removable unit of the cache, oldest use first."""
    found: list[Path] = []
    runs = cache_dir / "runs"
    if runs.is_dir():
        for child in runs.iterdir():
            if child.name in _PER_RUN and child.is_dir():
                found.extend(child.iterdir())
            else:
                found.append(child)
    pdfs = cache_dir / "arxiv" / "pdfs"
    if pdfs.is_dir():
        found.extend(p for p in pdfs.iterdir() if p.is_file())
    out = [Unit(p, *_measure(p)) for p in found]
    return sorted(out, key=lambda u: u.last_used)


def _fixed_size(cache_dir: Path, unit_paths: Iterable[Path]) -> int:
    """Bytes of the cache outside the units (the sqlite files): counted, never removed by size."""
    total, _ = _measure(cache_dir)
    return total - sum(_measure(p)[0] for p in unit_paths)


def _prune_digests(cache_dir: Path, cutoff: float) -> int:
    from chatpaper.chain.cache import CACHE_FILE  # noqa: PLC0415 - the chain package is heavy; a read prunes too

    path = cache_dir / CACHE_FILE
    if not path.is_file():
        return 0
    try:
        with closing(sqlite3.connect(path, timeout=5)) as conn, conn:
            return conn.execute("DELETE FROM stages WHERE created < ?", (cutoff,)).rowcount
    except sqlite3.Error as exc:  # locked or not ours: the next prune tries again
        log.warning("digest cache not pruned (%s)", exc)
        return 0


def _remove(path: Path) -> bool:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        return True  # another process pruned it first
    except OSError as exc:
        log.warning("cache entry %s not pruned (%s)", path.name, exc.strerror or exc)
        return False
    return True


def prune_cache(cache_dir: Path, *, max_bytes: int, max_age_days: float, keep: Iterable[Path] = (),
                grace_seconds: float = 0.0, now: float | None = None) -> PruneReport:
    """Remove units older than MAX_AGE_DAYS, then the oldest until the cache holds at most MAX_BYTES."""
    cache_dir = Path(cache_dir)
    report = PruneReport()
    if not cache_dir.is_dir():
        return report
    now = time.time() if now is None else now
    cutoff = now - max_age_days * 86400
    spared = {Path(p).resolve() for p in keep}
    report.digest_rows = _prune_digests(cache_dir, cutoff)
    found = units(cache_dir)
    total = _fixed_size(cache_dir, (u.path for u in found)) + sum(u.size for u in found)
    for unit in found:  # oldest first
        if unit.last_used >= cutoff and total <= max_bytes:
            break
        old = unit.last_used < cutoff
        if unit.path.resolve() in spared or (not old and unit.last_used > now - grace_seconds):
            continue
        if _remove(unit.path):
            report.removed += 1
            report.freed_bytes += unit.size
            total -= unit.size
    report.size_after = total
    if report.removed or report.digest_rows:
        log.info("cache pruned: %d entries, %d bytes, %d digest rows", report.removed, report.freed_bytes,
                 report.digest_rows)
    return report

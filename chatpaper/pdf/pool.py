"""ParsePool: parse_pdf in a few worker processes, so one slow or hostile paper cannot hold up the rest.

PyMuPDF is not thread-safe within a process (reading.PDF_LOCK serialises the in-process path), but it is
safe per process. Each worker is a forkserver child with pymupdf imported, an address-space limit
(`parse_memory_mb`, so a hostile PDF fails inside its worker instead of eating the host) and one pipe:
jobs go down it, and "text" (the Paper without figures, for the app's early header), then "paper" or
"error" come back. A parse over `parse_timeout_seconds` has its worker killed; only that paper fails.
"""
from __future__ import annotations

import logging
import multiprocessing
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

from chatpaper.errors import ChatPaperError, PdfError
from chatpaper.models import Paper, SourceInfo
from chatpaper.settings import Settings

log = logging.getLogger(__name__)

# forkserver: no fork of a threaded server, and fast starts (pymupdf preloaded); spawn where there is none (Windows)
_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
# Spelt out so the checker knows the context has a Process (get_context(str) is only a BaseContext).
_CONTEXT = multiprocessing.get_context("forkserver") if _METHOD == "forkserver" else multiprocessing.get_context("spawn")
_MAX_JOBS_PER_WORKER = 100  # a worker is replaced now and then, so MuPDF's caches never pile up


def _serve(conn: Connection, memory_bytes: int) -> None:
    """A worker's loop: one job at a time from `conn`, until the pipe closes."""
    if memory_bytes:
        try:
            import resource  # noqa: PLC0415 - POSIX only
        except ImportError:  # Windows: no address-space limit; the timeout still applies
            pass
        else:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    from chatpaper.pdf.reader import parse_pdf  # noqa: PLC0415

    while True:
        try:
            data, out_dir, settings, source, want_text = conn.recv()
        except (EOFError, OSError):
            return
        try:
            paper = parse_pdf(data, out_dir=Path(out_dir), settings=settings, source=source,
                              on_text=(lambda p: conn.send(("text", p))) if want_text else None)
            conn.send(("paper", paper))
        except ChatPaperError as exc:
            conn.send(("error", exc))
        except MemoryError:
            conn.send(("memory", None))
            return  # a worker that ran out of memory is not reused
        except Exception:  # noqa: BLE001 - a parser bug: the parent logs it and says so
            conn.send(("bug", traceback.format_exc()))


class _Worker:
    def __init__(self, memory_bytes: int):
        self.conn, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(target=_serve, args=(child, memory_bytes), name="chatpaper-parse",
                                        daemon=True)
        self.process.start()
        child.close()
        self.jobs = 0

    def stop(self) -> None:
        self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)


class ParsePool:
    """`parse()` is `parse_pdf` in a worker process; at most `workers` papers are parsed at once."""

    def __init__(self, *, workers: int = 2, timeout: float = 120.0, memory_mb: int = 1536):
        self.workers, self.timeout, self.memory_mb = max(1, workers), timeout, memory_mb
        self._slots = threading.BoundedSemaphore(self.workers)
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> ParsePool:
        return cls(workers=settings.parse_workers, timeout=settings.parse_timeout_seconds,
                   memory_mb=settings.parse_memory_mb)

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.process.is_alive():
                    return worker
                worker.stop()
        return _Worker(self.memory_mb * 2**20)

    def _give_back(self, worker: _Worker) -> None:
        if worker.jobs >= _MAX_JOBS_PER_WORKER:
            worker.stop()
            return
        with self._lock:
            self._idle.append(worker)

    def parse(self, data: bytes, *, out_dir: Path, settings: Settings, source: SourceInfo | None = None,
              name: str = "The PDF", on_text: Callable[[Paper], None] | None = None) -> Paper:
        """parse_pdf(data, ...) in a worker; PdfError (one sentence) when it is too slow or too big."""
        with self._slots:  # beyond `workers` papers, wait here (the app's queue bounds how many wait)
            worker = self._take()
            reusable = False
            try:
                worker.jobs += 1
                worker.conn.send((data, str(out_dir), settings, source, on_text is not None))
                deadline = time.monotonic() + self.timeout
                while True:
                    left = deadline - time.monotonic()
                    if left <= 0 or not worker.conn.poll(left):
                        raise PdfError(f"{name} took over {self.timeout:g} s to read and was stopped; try a "
                                       "smaller PDF, or raise CHATPAPER_PARSE_TIMEOUT_SECONDS.")
                    kind, value = worker.conn.recv()
                    if kind == "text" and on_text is not None:
                        on_text(value)
                    elif kind == "paper":
                        reusable = True
                        return value
                    elif kind == "error":
                        reusable = True
                        raise value
                    elif kind == "memory":
                        raise PdfError(self._memory_sentence(name))
                    elif kind == "bug":
                        reusable = True
                        log.error("the parser failed on %s:\n%s", name, value)
                        raise RuntimeError(f"the parser failed on {name}")
            except (EOFError, ConnectionError) as exc:  # the worker died (killed, or crashed in MuPDF)
                raise PdfError(self._memory_sentence(name)) from exc
            finally:
                if reusable:
                    self._give_back(worker)
                else:
                    worker.stop()

    def _memory_sentence(self, name: str) -> str:
        return (f"{name} needs more than the {self.memory_mb} MB of memory one paper may use, so it was stopped; "
                "try a smaller PDF, or raise CHATPAPER_PARSE_MEMORY_MB.")

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()


_SHARED: dict[tuple, ParsePool] = {}
_SHARED_LOCK = threading.Lock()


def shared_pool(settings: Settings) -> ParsePool:
    """The process's pool for these limits (the app's requests share one)."""
    key = (settings.parse_workers, settings.parse_timeout_seconds, settings.parse_memory_mb)
    with _SHARED_LOCK:
        if key not in _SHARED:
            if _METHOD == "forkserver":
                _CONTEXT.set_forkserver_preload(["chatpaper.pdf.reader"])  # workers start with pymupdf imported
            _SHARED[key] = ParsePool.from_settings(settings)
        return _SHARED[key]

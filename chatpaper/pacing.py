"""Pacing: one limiter spaces the starts of calls, across threads, for the LLM and for arXiv.

A batch shares one requests-per-minute budget between its workers (RateLimiter(rpm)); arXiv's PDF
downloads keep the operator's delay between them (DOWNLOAD_PACER, with the interval given per call, as
settings can differ between sources). Starts are stamped when taken, so no 60-second window ever holds
more than `rpm` starts, however many threads ask at once and however late they wake. The clock and sleep
are injectable so tests pace a fake clock instead of sleeping.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

# `granted` keeps the most recent slot times for tests and benchmarks; a long-lived app must not grow it.
_GRANTED_KEPT = 10_000


class RateLimiter:
    """Thread-safe pacing: `acquire()` blocks until this caller's slot has come."""

    def __init__(
        self,
        requests_per_minute: float | None = None,
        *,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if (requests_per_minute is None) == (interval is None):
            raise ValueError("give either requests_per_minute or interval")
        if requests_per_minute is not None and requests_per_minute <= 0:
            raise ValueError("requests_per_minute must be positive")
        if interval is not None and interval < 0:
            raise ValueError("interval must not be negative")
        self.requests_per_minute = requests_per_minute
        self.interval = 60.0 / requests_per_minute if requests_per_minute else float(interval or 0.0)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._last: float | None = None
        self.granted: deque[float] = deque(maxlen=_GRANTED_KEPT)  # when each slot was taken

    def acquire(self, interval: float | None = None, sleep: Callable[[float], None] | None = None) -> float:
        """Wait until a slot is free, take it, and return its time on the limiter's clock.

        `interval` and `sleep` override the limiter's own for this call (arXiv's delay is a setting of the
        caller). The slot is stamped when it is taken (after any wait), so a thread that wakes late never
        lets the next one in early.
        """
        gap = self.interval if interval is None else interval
        while True:
            with self._lock:
                now = self._clock()
                if self._last is None or now >= self._last + gap:
                    self._last = now
                    self.granted.append(now)
                    return now
                wait = self._last + gap - now
            (sleep or self._sleep)(wait)


# PDF downloads are paced like API calls, process-wide: a batch of papers should not hammer arxiv.org.
DOWNLOAD_PACER = RateLimiter(interval=0.0)

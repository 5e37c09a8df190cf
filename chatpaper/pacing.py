"""Pacing for batches: one requests-per-minute budget shared by every thread of a run.

The limiter spaces request *starts* at least 60/rpm seconds apart, so no 60-second window ever
holds more than `rpm` starts, however many workers ask at once and however late they wake. The clock and sleep are
injectable so tests pace a fake clock instead of sleeping.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from chatpaper.llm.base import LLMRequest, LLMResponse, Provider


class RateLimiter:
    """Thread-safe request pacing: `acquire()` blocks until this caller's slot has come."""

    def __init__(
        self,
        requests_per_minute: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if requests_per_minute <= 0:
            raise ValueError("requests_per_minute must be positive")
        self.requests_per_minute = requests_per_minute
        self.interval = 60.0 / requests_per_minute
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot: float | None = None
        self.granted: list[float] = []  # when each slot was taken, for benchmarks and tests

    def acquire(self) -> float:
        """Wait until a slot is free, take it, and return its time on the limiter's clock.

        The slot is stamped when it is taken (after any wait), so a thread that wakes late never
        lets the next one in early: starts are always at least `interval` apart.
        """
        while True:
            with self._lock:
                now = self._clock()
                if self._next_slot is None or now >= self._next_slot:
                    self._next_slot = now + self.interval
                    self.granted.append(now)
                    return now
                wait = self._next_slot - now
            self._sleep(wait)


class RateLimitedProvider(Provider):
    """Wraps a provider so that each `generate` call first takes a slot from the shared limiter."""

    name = "rate-limited"

    def __init__(self, inner: Provider, limiter: RateLimiter):
        # No super().__init__: the inner provider already owns model and validated options.
        self.inner = inner
        self.limiter = limiter
        self.name = inner.name  # type: ignore[misc]  # cache keys and notices use the real name
        self.model = inner.model
        self.options = inner.options
        self.supports_schema = inner.supports_schema  # type: ignore[misc]
        self.needs_key = inner.needs_key  # type: ignore[misc]
        self.extractive = inner.extractive  # type: ignore[misc]
        self.default_model = inner.default_model  # type: ignore[misc]
        self.context_window = inner.context_window

    def generate(self, request: LLMRequest) -> LLMResponse:
        self.limiter.acquire()
        return self.inner.generate(request)

    def __getattr__(self, attr: str) -> Any:  # anything else (e.g. extract_stage) is the inner one's
        return getattr(self.__dict__["inner"], attr)

    def __repr__(self) -> str:
        return f"<RateLimited {self.inner!r} rpm={self.limiter.requests_per_minute:g}>"


def rate_limited(provider: Provider, limiter: RateLimiter | None) -> Provider:
    """The provider paced by `limiter`; extractive providers make no calls and stay as they are."""
    if limiter is None or provider.extractive:
        return provider
    return RateLimitedProvider(provider, limiter)

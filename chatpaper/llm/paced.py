"""A provider that takes a slot from a shared RateLimiter before each call (a batch's one rpm budget)."""
from __future__ import annotations

from typing import Any

from chatpaper.llm.base import LLMRequest, LLMResponse, Provider
from chatpaper.pacing import RateLimiter


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
        return f"<RateLimited {self.inner!r} every {self.limiter.interval:g}s>"


def rate_limited(provider: Provider, limiter: RateLimiter | None) -> Provider:
    """The provider paced by `limiter`; extractive providers make no calls and stay as they are."""
    if limiter is None or provider.extractive:
        return provider
    return RateLimitedProvider(provider, limiter)

"""A provider that takes a slot from a shared RateLimiter before each call (a batch's one rpm budget)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chatpaper.llm.base import LLMRequest, LLMResponse, Provider
from chatpaper.pacing import RateLimiter

if TYPE_CHECKING:  # the offline choice is a stage runner: it makes no call to pace
    from chatpaper.chain.runner import StageRunner


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
        self.default_model = inner.default_model  # type: ignore[misc]
        self.context_window = inner.context_window
        self.base_url = inner.base_url

    def generate(self, request: LLMRequest) -> LLMResponse:
        self.limiter.acquire()
        return self.inner.generate(request)

    def cache_identity(self) -> str:  # pacing does not change who answers: the inner provider's identity
        return self.inner.cache_identity()

    def __repr__(self) -> str:
        return f"<RateLimited {self.inner!r} every {self.limiter.interval:g}s>"


def rate_limited(provider: Provider | StageRunner, limiter: RateLimiter | None) -> Provider | StageRunner:
    """The provider paced by `limiter`; a stage runner that is no Provider makes no calls and stays as it is."""
    if limiter is None or not isinstance(provider, Provider):
        return provider
    return RateLimitedProvider(provider, limiter)

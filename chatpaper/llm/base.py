"""The provider interface: one small class per backend (after simonw/llm).

A provider turns one `LLMRequest` into one `LLMResponse`. Capability flags are class attributes;
each provider nests its own `Options` (extra="forbid", so a misspelt option fails loudly).
Providers are synchronous; the chain runs independent stages in threads.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field


class LLMRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    system: str = ""
    prompt: str = Field(description="Paper text first, the stage instruction last (prefix caching)")
    schema_model: type[BaseModel] | None = Field(
        None, description="When set, the reply must be JSON valid against this model"
    )
    temperature: float = 0.2
    max_output_tokens: int = 2048
    timeout_seconds: float | None = None
    # Earlier turns for a corrective retry: [("assistant", text), ("user", text)...]
    history: list[tuple[str, str]] = Field(default_factory=list)


class LLMResponse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    model: str | None = None
    input_tokens: int = 0
    cached_input_tokens: int = 0  # of input_tokens, those a server's prefix cache served
    output_tokens: int = 0


class Provider(ABC):
    """Base class. Subclasses set `name` and the flags, and implement `generate`."""

    name: ClassVar[str]
    # Capability flags
    supports_schema: ClassVar[bool] = False  # native JSON-schema constrained output
    needs_key: ClassVar[bool] = False
    can_stream: ClassVar[bool] = False  # `stream` yields the reply as it is written, not all at the end
    default_model: ClassVar[str | None] = None
    context_window: int = 32_000  # tokens; the chain sizes its budget from this
    base_url: str | None = None  # an endpoint chosen by the user: part of the cache identity (one each)

    class Options(BaseModel):
        model_config = ConfigDict(extra="forbid")

    def __init__(self, *, model: str | None = None, options: dict[str, Any] | None = None):
        self.model = model or self.default_model
        self.options = self.Options(**(options or {}))

    @abstractmethod
    def generate(self, request: LLMRequest) -> LLMResponse:
        """Run one request. Raise `ProviderError` with a user sentence on failure."""

    def stream(self, request: LLMRequest) -> Iterator[str]:
        """The reply's text in pieces as the model writes them; joined, they are `generate(request).text`.

        Providers that cannot stream (`can_stream` False) yield the whole reply once."""
        yield self.generate(request).text

    def __repr__(self) -> str:  # never shows a key
        return f"<{type(self).__name__} model={self.model!r}>"

"""The provider interface: one small class per backend (after simonw/llm).

A provider turns one `LLMRequest` into one `LLMResponse`. Capability flags are class attributes;
each provider is generic in its own `Options` model (extra="forbid", so a misspelt option fails loudly,
and `self.options.timeout_seconds` type-checks). A provider that needs a key names the environment
variables it may come from (`key_variables`) and resolves it through `resolve_key`, the one path (as in
llm's key mixin): the key passed with the request, else the first of those variables that is set.
Providers are synchronous; the chain runs independent stages in threads.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any, ClassVar, Generic, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field

from chatpaper.errors import ProviderError
from chatpaper.settings import environment_key


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


class ProviderOptions(BaseModel):
    """A provider's options; each provider's own model adds its fields."""

    model_config = ConfigDict(extra="forbid")


OptionsT = TypeVar("OptionsT", bound=ProviderOptions)


class Provider(ABC, Generic[OptionsT]):
    """Base class. Subclasses set `name`, `Options` and the flags, and implement `generate`."""

    name: ClassVar[str]
    Options: ClassVar[type[ProviderOptions]] = ProviderOptions
    # Where a key may come from, in order (empty: the provider needs none).
    key_variables: ClassVar[tuple[str, ...]] = ()
    # Capability flags
    can_stream: ClassVar[bool] = False  # `stream` yields the reply as it is written, not all at the end
    default_model: ClassVar[str | None] = None
    context_window: int = 32_000  # tokens; the chain sizes its budget from this
    base_url: str | None = None  # an endpoint chosen by the user: part of the cache identity (one each)
    options: OptionsT

    def __init__(self, *, model: str | None = None, options: dict[str, Any] | None = None):
        self.model = model or self.default_model
        self.options = cast(OptionsT, self.Options(**(options or {})))

    @classmethod
    def resolve_key(cls, api_key: str | None = None) -> str | None:
        """The key given with the request, else the first of `key_variables` that is set; None if neither."""
        if api_key and api_key.strip():
            return api_key.strip()
        found = environment_key(cls.key_variables)
        return found[1] if found else None

    @classmethod
    def key_variable(cls) -> str | None:
        """Which of `key_variables` holds the key the environment gives (its name, never its value)."""
        found = environment_key(cls.key_variables)
        return found[0] if found else None

    @classmethod
    def require_key(cls, api_key: str | None, *, missing: str) -> str:
        """`resolve_key`, or ProviderError(`missing`: the sentence saying which variable to set)."""
        key = cls.resolve_key(api_key)
        if key is None:
            raise ProviderError(missing)
        return key

    def cache_identity(self) -> str:
        """Who wrote a cached stage: the name, with the endpoint when one was chosen (a visitor's endpoint
        must not fill the cache others read)."""
        return f"{self.name}@{self.base_url}" if self.base_url else self.name

    @abstractmethod
    def generate(self, request: LLMRequest) -> LLMResponse:
        """Run one request. Raise `ProviderError` with a user sentence on failure."""

    def stream(self, request: LLMRequest) -> Iterator[str]:
        """The reply's text in pieces as the model writes them; joined, they are `generate(request).text`.

        Providers that cannot stream (`can_stream` False) yield the whole reply once."""
        yield self.generate(request).text

    def __repr__(self) -> str:  # never shows a key
        return f"<{type(self).__name__} model={self.model!r}>"

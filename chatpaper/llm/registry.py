"""Pick and build a provider by name, or by what is configured (`auto`).

`auto` tries, in order: an explicit choice (settings.provider), a Gemini key, an OpenAI-compatible
endpoint or key, a configured local GGUF model, and finally the offline extractive provider.
Keys are resolved per call (argument, then environment) and handed only to the provider instance:
nothing here stores, caches or logs them.
"""
from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatpaper.errors import ProviderError
from chatpaper.llm.base import Provider
from chatpaper.settings import Settings

if TYPE_CHECKING:  # the chain runs providers; only its protocol is named here
    from chatpaper.chain.runner import StageRunner

logger = logging.getLogger(__name__)

# "offline" builds a StageRunner (chatpaper.extractive), every other name a Provider.
ProviderFactory = Callable[..., "Provider | StageRunner"]

ALIASES = {
    "google": "gemini",
    "openai-compatible": "openai",
    "openai_compat": "openai",
    "ollama": "openai",
    "vllm": "openai",
    "deepseek": "openai",
    "gguf": "local",
    "llamacpp": "local",
    "llama.cpp": "local",
    "extractive": "offline",
    "none": "offline",
}


def _gemini(*, model: str | None, settings: Settings, api_key: str | None, options: dict[str, Any], **_: Any) -> Provider:
    from chatpaper.llm.gemini import GeminiProvider

    defaults = {"timeout_seconds": settings.llm_timeout_seconds, "retries": settings.llm_retries}
    return GeminiProvider(model=model, api_key=api_key, options={**defaults, **options})


def own_endpoint(base_url: str | None, settings: Settings) -> bool:
    """BASE_URL names an endpoint other than the operator's (settings.openai_base_url): a visitor's own."""
    return bool(base_url) and (base_url or "").rstrip("/") != (settings.openai_base_url or "").rstrip("/")


def _openai(
    *, model: str | None, settings: Settings, api_key: str | None, base_url: str | None, options: dict[str, Any],
    visitor: bool = False, **_: Any
) -> Provider:
    from chatpaper.llm.openai_compat import LOCAL_SERVER_KEY, OpenAICompatProvider

    if base_url is not None and not base_url.strip().strip("/"):
        base_url = None  # "/" names no server: the configured one (or OpenAI's) is meant, as with an empty box
    configured = settings.openai_base_url or None
    foreign = own_endpoint(base_url, settings)
    if foreign and not api_key:
        # An endpoint chosen by the request (the app's "base URL" box) never receives the
        # operator's OPENAI_API_KEY: only a key sent with that same request, or none.
        api_key = LOCAL_SERVER_KEY
    defaults: dict[str, Any] = {"timeout_seconds": settings.llm_timeout_seconds, "max_retries": settings.llm_retries}
    if settings.context_window:
        defaults["context_window"] = settings.context_window
    extra: dict[str, Any] = {}
    if visitor and foreign and base_url:  # foreign implies a base_url; said again for the checker
        # A visitor's own endpoint: public https only (checked at connect time), no redirects, tight timeouts.
        from chatpaper.llm.endpoints import check_visitor_base_url, visitor_http_client

        base_url = check_visitor_base_url(base_url, allow_private=settings.allow_private_endpoints)
        defaults = {**defaults, "timeout_seconds": settings.visitor_read_timeout_seconds, "max_retries": 1,
                    "connect_timeout_seconds": settings.visitor_connect_timeout_seconds}
        extra = {"visitor": True, "host_label": "Your endpoint", "http_client": visitor_http_client(
            allow_private=settings.allow_private_endpoints, connect_seconds=settings.visitor_connect_timeout_seconds,
            read_seconds=settings.visitor_read_timeout_seconds)}
    elif visitor and configured:
        extra = {"host_label": "The configured model server"}  # the operator's endpoint is not shown to visitors
    return OpenAICompatProvider(model=model, api_key=api_key, base_url=_openai_base_url(base_url, settings),
                                options={**defaults, **options}, **extra)


def _local(*, model: str | None, settings: Settings, options: dict[str, Any], **_: Any) -> Provider:
    from chatpaper.llm.local import LocalProvider

    path = settings.local_model_path
    if model and model.endswith(".gguf"):  # `--provider local --model path/to/x.gguf`
        path, model = Path(model), None
    return LocalProvider(model_path=path, model=model, options=options)


def _offline(**_: Any) -> StageRunner:
    from chatpaper.extractive import ExtractiveRunner

    return ExtractiveRunner()


_FACTORIES: dict[str, ProviderFactory] = {
    "gemini": _gemini,
    "openai": _openai,
    "local": _local,
    "offline": _offline,
}


def register_provider(name: str, factory: ProviderFactory) -> None:
    """Make `get_provider(name)` call `factory`, with whichever of model, settings, api_key,
    base_url and options it accepts (a bare `lambda: provider` is fine). Replaces an existing name."""
    key = name.strip().lower()
    if not key or key == "auto":
        raise ValueError(f"{name!r} cannot name a provider")
    _FACTORIES[key] = factory


def unregister_provider(name: str) -> None:
    """Forget a provider registered by a test (built-in names cannot be removed)."""
    key = name.strip().lower()
    if key in ("gemini", "openai", "local", "offline"):
        raise ValueError(f"{name!r} is built in")
    _FACTORIES.pop(key, None)


def available_providers() -> list[str]:
    """Registered provider names, built-ins first (`auto` is not among them: it picks one)."""
    return list(_FACTORIES)


def get_provider(
    name: str | None = "auto",
    *,
    model: str | None = None,
    settings: Settings | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    options: dict[str, Any] | None = None,
    visitor: bool = False,
) -> Provider | StageRunner:
    """Build the named provider, or with `auto` (or None) the first one that is configured.

    `visitor=True` (the app) treats `base_url` as typed by a stranger: see `chatpaper.llm.endpoints`.
    "offline" gives the extractive StageRunner rather than a Provider; the chain takes either as it is.
    """
    settings = settings or Settings()
    factory = _FACTORIES[chosen_provider(name, settings=settings, api_key=api_key, base_url=base_url)]
    kwargs = {
        "model": model or settings.model,
        "settings": settings,
        "api_key": api_key or None,
        "base_url": base_url or None,
        "options": dict(options or {}),
        "visitor": visitor,
    }
    return factory(**_accepted(factory, kwargs))


def chosen_provider(name: str | None = "auto", *, settings: Settings, api_key: str | None = None,
                    base_url: str | None = None) -> str:
    """The provider `get_provider` builds for these arguments, without building it: NAME, else
    settings.provider, else (`auto`) the first one configured. The app's opening notice asks this too,
    so the page says "Offline mode" exactly when a run would be offline."""
    for candidate in (name, settings.provider):
        key = (candidate or "auto").strip().lower()
        key = ALIASES.get(key, key)
        if key == "auto":
            continue
        if key not in _FACTORIES:
            choices = ", ".join(["auto", *_FACTORIES])
            raise ProviderError(f"There is no provider named {candidate!r}; choose one of {choices}.")
        return key
    return _auto(settings=settings, api_key=api_key, base_url=base_url)


def describe_provider(provider: Provider | StageRunner) -> str:
    """One line saying who writes the result (the CLI prints it on stderr, the app shows its notice)."""
    from chatpaper.chain.runner import is_extractive  # the registry loads no chain code until asked

    if is_extractive(provider):
        return f"{provider.name}: extractive, no LLM; set GEMINI_API_KEY for written summaries"
    return f"{provider.name}: {provider.model or 'the default model'}"


def _auto(*, settings: Settings, api_key: str | None, base_url: str | None) -> str:
    openai_url = _openai_base_url(base_url, settings)
    if api_key:
        # A pasted key: OpenAI's start with "sk-"; with an endpoint it belongs to that endpoint.
        chosen = "openai" if openai_url or api_key.strip().startswith("sk-") else "gemini"
        logger.info("provider auto -> %s (a key was passed)", chosen)
        return chosen
    from chatpaper.llm.gemini import GeminiProvider
    from chatpaper.llm.openai_compat import OpenAICompatProvider

    if variable := GeminiProvider.key_variable():
        logger.info("provider auto -> gemini (%s is set)", variable)
        return "gemini"
    if openai_url or (variable := OpenAICompatProvider.key_variable()):
        logger.info("provider auto -> openai (%s)", "endpoint configured" if openai_url else f"{variable} is set")
        return "openai"
    if settings.local_model_path:
        logger.info("provider auto -> local (a GGUF model is configured)")
        return "local"
    logger.info("provider auto -> offline (no key, endpoint or local model configured)")
    return "offline"


def _openai_base_url(base_url: str | None, settings: Settings) -> str | None:
    return base_url or settings.openai_base_url or None


def _accepted(factory: ProviderFactory, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The subset of kwargs the factory's signature takes (all of them if it has **kwargs)."""
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return kwargs
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return kwargs
    names = {p.name for p in params if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)}
    return {k: v for k, v in kwargs.items() if k in names}

"""LLM providers: one small `Provider` class per backend, and a registry that picks one.

    from chatpaper.llm import get_provider
    provider = get_provider("auto")  # gemini, openai, local or offline (a StageRunner), by what is configured

Backends import their SDKs lazily, so importing this package stays cheap.
"""
from chatpaper.llm.base import LLMRequest, LLMResponse, Provider
from chatpaper.llm.registry import available_providers, get_provider, register_provider, unregister_provider

__all__ = [
    "LLMRequest",
    "LLMResponse",
    "Provider",
    "available_providers",
    "get_provider",
    "register_provider",
    "unregister_provider",
]

"""The model a benchmark's real-provider part runs against: whatever the environment configures.

`configured_model(needed_for)` returns the provider, or prints why that part is skipped (no key, endpoint or
provider set; the setting is invalid; or it is the offline mode, which no model writes) and returns None.
"""
from __future__ import annotations

import os

from chatpaper.errors import ChatPaperError
from chatpaper.llm.base import Provider

# Any of these says a real model is meant (CHATPAPER_PROVIDER=local needs CHATPAPER_LOCAL_MODEL_PATH too).
REAL_PROVIDER_VARS = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENAI_API_KEY", "CHATPAPER_OPENAI_BASE_URL",
                      "OPENAI_BASE_URL", "CHATPAPER_PROVIDER")


def configured_model(needed_for: str) -> Provider | None:
    """The configured provider when it is a model; else None after one "real provider: skipped" line."""
    from chatpaper.llm.registry import get_provider
    from chatpaper.settings import load_settings

    if not any(os.environ.get(v) for v in REAL_PROVIDER_VARS):
        print(f"real provider: skipped (none of {', '.join(REAL_PROVIDER_VARS)} is set; {needed_for} needs a "
              "real model)")
        return None
    try:
        settings = load_settings({})
        provider = get_provider(settings.provider, model=settings.model, settings=settings)
    except ChatPaperError as exc:
        print(f"real provider: skipped ({exc})")
        return None
    if not isinstance(provider, Provider):
        print(f"real provider: skipped (the configured provider is offline: {needed_for} needs a model)")
        return None
    return provider

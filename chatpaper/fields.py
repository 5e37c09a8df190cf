"""Checks for every field a visitor types, run before the value is used anywhere.

Each check returns the cleaned value (stripped; None when empty) or raises `FieldError` with one
sentence naming the field and what to do. Messages never repeat the value: it may be huge, hold
markup, or be a key.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chatpaper.errors import FieldError

if TYPE_CHECKING:
    from chatpaper.chain.runner import StageRunner
    from chatpaper.llm.base import Provider
    from chatpaper.settings import Settings

# Generous for what each field legitimately holds, small enough that nothing downstream sees a flood.
ARXIV_TEXT_MAX = 300  # the longest arXiv link with a version and a query string is far shorter
TOPIC_MAX = 200
BASE_URL_MAX = 2048  # browsers' practical URL limit
MODEL_MAX = 200  # "meta-llama/Llama-3.1-8B-Instruct", "qwen2.5:7b", "models/gemini-2.5-flash"
LANG_MAX = 40  # "zh-Hans-CN" or a language's own name ("Português")
KEY_MAX = 512  # provider keys are under 200 characters

_MODEL = re.compile(r"[\w.:/@+\-]+")
_LANG = re.compile(r"[^\W\d_][\w\- ]*")
_KEY = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces: every provider's key alphabet


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in text)


def _text(value: object, field: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError(f"The {field} must be text.")
    if len(value) > limit:
        raise FieldError(f"The {field} is longer than {limit} characters; shorten it.")
    text = value.strip()
    if _has_control(text):
        raise FieldError(f"The {field} holds line breaks or control characters; type it on one line.")
    return text or None


def arxiv_text(value: object) -> str | None:
    return _text(value, "arXiv ID or link", ARXIV_TEXT_MAX)


def topic(value: object) -> str | None:
    return _text(value, "topic", TOPIC_MAX)


def base_url(value: object) -> str | None:
    text = _text(value, "base URL", BASE_URL_MAX)
    if text and any(ch.isspace() for ch in text):
        raise FieldError("The base URL holds spaces; give one like https://api.openai.com/v1.")
    return text


def model(value: object) -> str | None:
    text = _text(value, "model name", MODEL_MAX)
    if text and not _MODEL.fullmatch(text):
        raise FieldError("The model name may hold only letters, digits and . : / @ + - _; check its spelling.")
    if text and text.lower().endswith(".gguf"):
        raise FieldError("The Model box takes a model name, not a .gguf file; the local model is the one "
                         "the operator sets with CHATPAPER_LOCAL_MODEL_PATH.")
    return text


def language(value: object) -> str | None:
    text = _text(value, "output language", LANG_MAX)
    if text and not _LANG.fullmatch(text):
        raise FieldError("The output language must be a language code like zh or en (letters and hyphens).")
    return text


def api_key(value: object) -> str | None:
    if isinstance(value, str) and len(value) > KEY_MAX:
        raise FieldError(f"The API key is longer than {KEY_MAX} characters; paste only the key.")
    text = _text(value, "API key", KEY_MAX)
    if text and not _KEY.fullmatch(text):
        raise FieldError("The API key holds spaces or characters no provider uses; paste only the key.")
    return text


def provider(value: object) -> str | None:
    text = _text(value, "provider", 40)
    if text and not re.fullmatch(r"[\w.\-]+", text):
        raise FieldError("The provider must be one of the names in the list.")
    return text


def whole_number(value: object, field: str, low: int, high: int) -> int | None:
    """A slider's value: a whole number from LOW to HIGH (an API caller can send anything)."""
    if value is None or value == "":
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise FieldError(f"The {field} must be a whole number from {low} to {high}.") from exc
    if not number.is_integer() or not low <= number <= high:
        raise FieldError(f"The {field} must be a whole number from {low} to {high}.")
    return int(number)


@dataclass(frozen=True)
class ModelChoice:
    """The model a visitor chose in the app (provider, model name, base URL, key), every field checked.

    The paper tab and the ask chat both take these four boxes: one place checks them, says whether the
    endpoint is the visitor's own (it then holds one of the few visitor slots) and builds the provider.
    """

    provider: str | None
    model: str | None
    base_url: str | None
    api_key: str | None

    @classmethod
    def checked(cls, provider_name: object, model_name: object, url: object, key: object) -> ModelChoice:
        checked_key = api_key(key.strip() or None if isinstance(key, str) else key)  # the key first, as before
        return cls(provider=provider(provider_name), model=model(model_name), base_url=base_url(url),
                   api_key=checked_key)

    def own_endpoint(self, settings: Settings) -> bool:
        """The visitor typed an endpoint other than the operator's."""
        from chatpaper.llm.registry import own_endpoint  # noqa: PLC0415 - the registry decides it for every caller

        return own_endpoint(self.base_url, settings)

    def build(self, settings: Settings) -> Provider | StageRunner:
        from chatpaper.llm.registry import get_provider  # noqa: PLC0415 - building loads a provider's SDK

        return get_provider(self.provider or settings.provider, model=self.model, settings=settings,
                            api_key=self.api_key, base_url=self.base_url, visitor=True)

"""Google Gemini through the `google-genai` SDK (not the retired `google-generativeai`).

Native JSON-schema output, the SDK's own retry with backoff (`HttpRetryOptions`) for 429 and
5xx, and a timeout on every call. The key lives only on this instance, wrapped in `SecretStr`.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any, ClassVar

from pydantic import Field, SecretStr

from chatpaper.errors import ANOTHER_MODEL, ProviderError
from chatpaper.llm.base import LLMRequest, LLMResponse, Provider, ProviderOptions

logger = logging.getLogger(__name__)

# The current Flash model, as used throughout the google-genai 3.3 documentation: fast, cheap,
# a 1M-token context and native JSON-schema output. Override with --model / CHATPAPER_MODEL.
DEFAULT_GEMINI_MODEL = "gemini-3.8-flash"
GEMINI_CONTEXT_WINDOW = 1_048_576  # input tokens of the Gemini Flash family
RETRY_STATUS_CODES = [429, 500, 502, 503, 504]
MISSING_KEY = "No Gemini API key was given; set GEMINI_API_KEY or paste a key."
_NON_THINKING = re.compile(r"(models/)?gemini-(1\.|2\.0)")


def _httpx_errors(name: str) -> tuple[type[BaseException], ...]:
    """httpx's exception class NAME, and httpx2's too where it is installed."""
    # The SDK uses httpx2 by default and httpx when given httpx objects: catch both.
    import httpx

    found: list[type[BaseException]] = [getattr(httpx, name)]
    try:
        import httpx2

        found.append(getattr(httpx2, name))
    except ImportError:
        pass
    return tuple(found)


class GeminiOptions(ProviderOptions):
    """`gemini`'s options."""

    timeout_seconds: float = Field(120.0, gt=0, description="Per attempt, unless the request sets one")
    retries: int = Field(3, ge=0, description="Extra attempts on 429, 5xx and timeouts")
    initial_retry_delay: float = Field(1.0, ge=0, description="Seconds before the first retry")
    max_retry_delay: float = Field(30.0, ge=0, description="Cap on one backoff wait")
    retry_jitter: float = Field(1.0, ge=0, description="Random seconds added to each wait")
    api_version: str | None = Field(None, description="None is the SDK's (v1); v1beta has the -latest aliases")
    thinking_budget: int | None = Field(None, description="Thinking tokens; None keeps the model's default")
    thinking_headroom: int = Field(
        8192, ge=0, description="Added to the output limit: Gemini counts thinking tokens against it"
    )


class GeminiProvider(Provider[GeminiOptions]):
    """`gemini`: Google's hosted models; key from the argument, GEMINI_API_KEY or GOOGLE_API_KEY."""

    name: ClassVar[str] = "gemini"
    can_stream: ClassVar[bool] = True
    Options = GeminiOptions
    key_variables: ClassVar[tuple[str, ...]] = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    default_model: ClassVar[str | None] = DEFAULT_GEMINI_MODEL
    context_window: int = GEMINI_CONTEXT_WINDOW

    def __init__(
        self,
        *,
        model: str | None = None,
        api_key: str | None = None,
        options: dict[str, Any] | None = None,
        client: Any | None = None,
        transport: Any | None = None,
    ):
        """`client` replaces the SDK client (tests); `transport` is an httpx transport for the SDK's client."""
        super().__init__(model=model, options=options)
        self._api_key = SecretStr(self.require_key(api_key, missing=MISSING_KEY)) if client is None else SecretStr("")
        self._client = client if client is not None else self._make_client(transport)

    def _make_client(self, transport: Any | None) -> Any:
        from google import genai
        from google.genai import types

        opts = self.options
        http_options = types.HttpOptions(
            api_version=opts.api_version,
            timeout=int(opts.timeout_seconds * 1000),
            retry_options=types.HttpRetryOptions(
                attempts=opts.retries + 1,
                initial_delay=opts.initial_retry_delay,
                max_delay=opts.max_retry_delay,
                jitter=opts.retry_jitter,
                http_status_codes=RETRY_STATUS_CODES,
            ),
            client_args={"transport": transport} if transport is not None else None,
        )
        # vertexai=False: a stray GOOGLE_GENAI_USE_VERTEXAI must not send the key elsewhere.
        return genai.Client(vertexai=False, api_key=self._api_key.get_secret_value(), http_options=http_options)

    def _config(self, request: LLMRequest) -> Any:
        from google.genai import types

        config = types.GenerateContentConfig(
            system_instruction=request.system or None,
            temperature=request.temperature,
            max_output_tokens=request.max_output_tokens + self._thinking_headroom(),
        )
        if request.timeout_seconds:
            config.http_options = types.HttpOptions(timeout=int(request.timeout_seconds * 1000))
        if request.schema_model is not None:
            config.response_mime_type = "application/json"
            config.response_json_schema = request.schema_model.model_json_schema()
        if self.options.thinking_budget is not None:
            config.thinking_config = types.ThinkingConfig(thinking_budget=self.options.thinking_budget)
        return config

    def _thinking_headroom(self) -> int:
        # Models before 2.5 do not think, and some cap output at 8192 tokens.
        return 0 if _NON_THINKING.match(self.model or "") else self.options.thinking_headroom

    @staticmethod
    def _contents(request: LLMRequest) -> list[Any]:
        from google.genai import types

        # The paper prompt comes first so Gemini's implicit caching can reuse it across stages.
        turns = [("user", request.prompt), *request.history]
        return [
            types.Content(role="model" if role == "assistant" else "user", parts=[types.Part(text=text)])
            for role, text in turns
        ]

    def generate(self, request: LLMRequest) -> LLMResponse:
        try:
            response = self._client.models.generate_content(
                model=self.model, contents=self._contents(request), config=self._config(request)
            )
        except ProviderError:
            raise
        except Exception as exc:  # mapped to one user sentence; the SDK detail goes to the log
            raise self._user_error(exc, request) from exc
        text = response.text or ""
        if not text.strip():
            reason = _finish_reason(response)
            raise ProviderError(
                f"Gemini returned no text (finish reason {reason}); try again or raise the output token limit.",
            )
        usage = response.usage_metadata
        return LLMResponse(
            text=text,
            model=getattr(response, "model_version", None) or self.model,
            input_tokens=(usage.prompt_token_count or 0) if usage else 0,
            cached_input_tokens=(getattr(usage, "cached_content_token_count", 0) or 0) if usage else 0,
            output_tokens=((usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0)) if usage else 0,
        )

    def stream(self, request: LLMRequest) -> Iterator[str]:
        """The reply's text as Gemini writes it (generate_content_stream), for the ask chat's first token."""
        written = False
        try:
            for chunk in self._client.models.generate_content_stream(
                model=self.model, contents=self._contents(request), config=self._config(request)
            ):
                if text := chunk.text or "":
                    written = True
                    yield text
        except ProviderError:
            raise
        except Exception as exc:  # mapped to one user sentence; the SDK detail goes to the log
            raise self._user_error(exc, request) from exc
        if not written:
            raise ProviderError("Gemini returned no text; try again or raise the output token limit.")

    def _user_error(self, exc: Exception, request: LLMRequest) -> ProviderError:
        from google.genai import errors

        if isinstance(exc, errors.APIError):
            code = exc.code or 0
            detail = f"{exc.status or ''} {exc.message or ''}"
            logger.warning("Gemini API error %s: %s", code, detail.strip()[:300])
            if code == 429:
                return ProviderError(
                    "Gemini's rate limit was reached; wait a minute or use another provider.")
            if code >= 500:
                return ProviderError(
                    f"Gemini is unavailable right now (HTTP {code}); try again in a few minutes.")
            # A malformed key comes back as 400 INVALID_ARGUMENT "API key not valid".
            if code in (401, 403) or "API key" in detail or "API_KEY" in detail:
                return ProviderError("Gemini rejected the API key; check GEMINI_API_KEY or paste a valid key.")
            if code == 404:
                return ProviderError(f"Gemini has no model named {self.model!r}; " + ANOTHER_MODEL)
            return ProviderError(f"Gemini refused the request (HTTP {code}); check the model name and options.")
        if isinstance(exc, _httpx_errors("TimeoutException")):
            seconds = request.timeout_seconds or self.options.timeout_seconds
            return ProviderError(
                f"Gemini did not answer within {seconds:g} seconds; try again or raise CHATPAPER_LLM_TIMEOUT_SECONDS.",
            )
        if isinstance(exc, _httpx_errors("TransportError")):
            return ProviderError("Gemini could not be reached; check the network connection.")
        logger.exception("Unexpected Gemini failure")
        return ProviderError(f"Gemini failed unexpectedly ({type(exc).__name__}); try again or use another provider.")


def _finish_reason(response: Any) -> str:
    try:
        reason = response.candidates[0].finish_reason
        return str(getattr(reason, "name", reason))
    except (AttributeError, IndexError, TypeError):
        return "unknown"

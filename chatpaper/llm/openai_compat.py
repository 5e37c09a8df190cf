"""Any OpenAI-compatible chat endpoint through the `openai` SDK: OpenAI, Ollama, vLLM,
llama.cpp server, DeepSeek...

Strict `json_schema` output where the server supports it; when a server rejects it, the schema
goes into the prompt instead and the instance remembers that. The SDK retries 429/5xx with backoff.
"""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlparse

from pydantic import BaseModel, Field, SecretStr

from chatpaper.errors import ANOTHER_MODEL, ProviderError
from chatpaper.llm.base import LLMRequest, LLMResponse, Provider, ProviderOptions
from chatpaper.llm.jsontext import first_json_object

logger = logging.getLogger(__name__)

# Cheap, fast, strict json_schema support, and it accepts `temperature` (the gpt-5 family does not).
DEFAULT_OPENAI_MODEL = "gpt-4.1-mini"
OPENAI_CONTEXT_WINDOW = 128_000  # conservative for OpenAI's current models
SERVER_CONTEXT_WINDOW = 32_000  # self-hosted servers vary; set the `context_window` option to match yours
LOCAL_SERVER_KEY = "not-needed"  # Ollama, vLLM and llama.cpp server accept any key
VISITOR_ENDPOINT_FAILED = ("Your endpoint did not answer the chat request in time or not as an OpenAI-compatible "
                           "API would; check the base URL and model name, or use the default provider.")
MISSING_KEY = ("No OpenAI API key was given; set OPENAI_API_KEY, paste a key, "
               "or set CHATPAPER_OPENAI_BASE_URL for a local server.")
SCHEMA_IN_PROMPT = "\n\nReply with one JSON object only, no prose and no code fence, valid against this JSON schema:\n"

_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(.*?)\n?```\s*$", re.DOTALL)
# A prompt longer than the model's window, in llama.cpp's, vLLM's and OpenAI's words.
_CONTEXT_OVERFLOW = re.compile(r"context (?:size|length|window)|context_length_exceeded|maximum context", re.I)


def strict_schema(model: type[BaseModel], *, drop: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The model's JSON schema in OpenAI's strict form (every property required, no extras), without
    the keywords in `drop`."""
    try:
        from openai.lib._pydantic import to_strict_json_schema
    except ImportError:  # a private helper; fall back to the plain schema if it moves
        schema = model.model_json_schema()
    else:
        schema = to_strict_json_schema(model)
    return _without(schema, drop) if drop else schema


def _without(node: Any, keywords: frozenset[str]) -> Any:
    if isinstance(node, dict):
        return {k: _without(v, keywords) for k, v in node.items() if k not in keywords}
    if isinstance(node, list):
        return [_without(v, keywords) for v in node]
    return node


# OpenAI's strict mode lists the keywords it accepts, and string lengths are not among them: they are
# left out for OpenAI itself (llama.cpp's grammar and vLLM's guided decoding do honour them).
OPENAI_UNSUPPORTED_KEYWORDS = frozenset({"maxLength", "minLength"})



@dataclass
class _Streamed:
    """A streamed reply as far as it has been read."""

    text: str = ""
    model: str | None = None
    usage: Any = None  # the server's usage object, in the last chunk when stream_options asked for it
    reason: str | None = None  # finish reason
    complete: str | None = None  # the first whole JSON object, once it has arrived


class OpenAIOptions(ProviderOptions):
    """`openai`'s options."""

    timeout_seconds: float = Field(120.0, gt=0, description="Per attempt, unless the request sets one")
    max_retries: int = Field(3, ge=0, description="SDK retries on 429, 5xx, timeouts and lost connections")
    context_window: int | None = Field(None, gt=0, description="Tokens; defaults by endpoint")
    schema_mode: bool = Field(True, description="Ask for strict json_schema output (falls back automatically)")
    connect_timeout_seconds: float | None = Field(None, gt=0, description="Connecting only; default the same")
    stop_at_json: bool = Field(True, description="When the schema is in the prompt (the server does not "
                                                 "constrain the reply), stream it and stop at its first "
                                                 "complete JSON object")


class OpenAICompatProvider(Provider[OpenAIOptions]):
    """`openai`: an OpenAI-compatible `/chat/completions` endpoint at `base_url` (OpenAI when unset)."""

    name: ClassVar[str] = "openai"
    Options = OpenAIOptions
    key_variables: ClassVar[tuple[str, ...]] = ("OPENAI_API_KEY",)  # a custom base_url needs none
    can_stream: ClassVar[bool] = True
    default_model: ClassVar[str | None] = DEFAULT_OPENAI_MODEL

    def __init__(
        self,
        *,
        model: str | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        options: dict[str, Any] | None = None,
        http_client: Any | None = None,
        host_label: str | None = None,
        visitor: bool = False,
    ):
        """`http_client` is an `httpx2.Client` handed to the SDK (tests give it a mock transport).

        `host_label` replaces the host in messages (the app does not show visitors the operator's
        server); `visitor` marks an endpoint a visitor typed: its failures all read the same
        sentence, so the messages cannot map what is listening where.
        """
        super().__init__(model=model, options=options)
        self.base_url = base_url or None  # the registry passes settings.openai_base_url (or the request's)
        self.host_label = host_label
        self.visitor = visitor
        # A self-hosted server (Ollama, vLLM, llama.cpp) takes any key: a placeholder when none is set.
        key = self.resolve_key(api_key) or (LOCAL_SERVER_KEY if self.base_url else None)
        if key is None:
            raise ProviderError(MISSING_KEY)
        self._api_key = SecretStr(key)
        self.context_window = self.options.context_window or (
            SERVER_CONTEXT_WINDOW if self.base_url else OPENAI_CONTEXT_WINDOW
        )
        # Learnt from the server's 400s, then kept for this instance.
        self.schema_mode = self.options.schema_mode
        self._dropped_params: set[str] = set()
        # OpenAI itself wants max_completion_tokens; most other servers know only max_tokens.
        self._max_tokens_param = "max_tokens" if self.base_url else "max_completion_tokens"
        self._client = self._make_client(http_client)

    def _make_client(self, http_client: Any | None) -> Any:
        import openai

        return openai.OpenAI(
            api_key=self._api_key.get_secret_value(),
            base_url=self.base_url,
            timeout=self._timeout(self.options.timeout_seconds),
            max_retries=self.options.max_retries,
            http_client=http_client,
        )

    def _timeout(self, seconds: float) -> Any:
        if self.options.connect_timeout_seconds is None:
            return seconds
        import httpx2

        return httpx2.Timeout(seconds, connect=self.options.connect_timeout_seconds)

    @property
    def _host(self) -> str:
        if self.host_label:
            return self.host_label
        return (urlparse(self.base_url).netloc or self.base_url) if self.base_url else "OpenAI"

    def _messages(self, request: LLMRequest, *, schema_in_prompt: bool) -> list[dict[str, str]]:
        prompt = request.prompt
        if schema_in_prompt and request.schema_model is not None:
            prompt += SCHEMA_IN_PROMPT + json.dumps(request.schema_model.model_json_schema(), ensure_ascii=False)
        messages = [{"role": "system", "content": request.system}] if request.system else []
        messages.append({"role": "user", "content": prompt})  # the paper first: servers' prefix caches reuse it
        messages += [{"role": "assistant" if r == "assistant" else "user", "content": t} for r, t in request.history]
        return messages

    def _params(self, request: LLMRequest) -> dict[str, Any]:
        schema_model = request.schema_model if self.schema_mode else None
        params: dict[str, Any] = {
            "model": self.model,
            "messages": self._messages(request, schema_in_prompt=schema_model is None),
            "temperature": request.temperature,
            self._max_tokens_param: request.max_output_tokens,
        }
        if schema_model is not None:
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": schema_model.__name__,
                    "schema": strict_schema(schema_model, drop=frozenset() if self.base_url
                                            else OPENAI_UNSUPPORTED_KEYWORDS),
                    "strict": True,
                },
            }
        if request.schema_model is not None and schema_model is None and self.options.stop_at_json:
            # Nothing constrains the reply: a small model closes its object and runs on to its token limit.
            # Streamed, the reply is read up to its first complete object and the connection closed there,
            # which stops llama.cpp, Ollama and vLLM generating.
            params["stream"] = True
            params["stream_options"] = {"include_usage": True}
        if request.timeout_seconds:
            # A visitor's endpoint keeps its own, tighter limit even when the chain allows more.
            seconds = min(request.timeout_seconds, self.options.timeout_seconds) if self.visitor else request.timeout_seconds
            params["timeout"] = self._timeout(seconds)
        for name in self._dropped_params:
            params.pop(name, None)
        return params

    def _create(self, request: LLMRequest, *, stream: bool) -> tuple[Any, dict[str, Any]] | None:
        """The SDK's answer (a completion, or a stream) and the parameters that got it. Each 400 that names an
        option (json_schema, temperature, stream_options, stream, the token limit) is learnt and the request
        sent again; None when a stream was asked for and the server turned out not to stream."""
        import openai

        for _ in range(6):  # at most: drop json_schema, temperature, stream_options, stream, swap the token limit
            if stream and "stream" in self._dropped_params:
                return None
            params = self._params(request)
            if stream:
                params["stream"] = True
                if "stream_options" not in self._dropped_params:
                    params["stream_options"] = {"include_usage": True}
            try:
                return self._client.chat.completions.create(**params), params
            except openai.BadRequestError as exc:
                if not self._learn_from(exc, params):
                    raise self._user_error(exc, request) from exc
            except openai.OpenAIError as exc:
                raise self._user_error(exc, request) from exc
        raise ProviderError(f"{self._host} kept refusing the request; check the model name and server.")

    def generate(self, request: LLMRequest) -> LLMResponse:
        created = self._create(request, stream=False)
        assert created is not None  # only a request for a stream can find that the server does not stream
        completion, params = created
        if params.get("stream"):  # the schema is in the prompt: read up to the first complete object
            return self._read_stream(completion, request)
        asked_in_prompt = request.schema_model is not None and "response_format" not in params
        return self._response(completion, schema_in_prompt=asked_in_prompt)

    def stream(self, request: LLMRequest) -> Iterator[str]:
        """The reply's text as the server writes it (the ask chat shows an answer growing), up to its first
        complete JSON object when a schema is asked for; a server that cannot stream gets one whole reply."""
        created = self._create(request, stream=True)
        if created is None:
            yield self.generate(request).text
            return
        yield from self._pieces(created[0], request)

    def _pieces(self, stream: Any, request: LLMRequest) -> Iterator[str]:
        state, sent = _Streamed(), 0
        for _ in self._follow(stream, request, state):
            found = state.complete
            end = state.text.find(found) + len(found) if found else len(state.text)  # nothing after the object
            if end > sent:
                yield state.text[sent:end]
                sent = end

    def _follow(self, stream: Any, request: LLMRequest, state: _Streamed) -> Iterator[None]:
        """Read the stream into `state`, pausing after each chunk; stop after the first complete JSON object
        when a schema is asked for (a small model would run on to its token limit), and close the connection,
        which stops llama.cpp, Ollama and vLLM generating."""
        import openai

        try:
            for chunk in stream:
                state.model = state.model or getattr(chunk, "model", None)
                state.usage = getattr(chunk, "usage", None) or state.usage
                for choice in chunk.choices or []:
                    state.text += getattr(choice.delta, "content", None) or ""
                    state.reason = choice.finish_reason or state.reason
                if request.schema_model is not None and "}" in state.text:
                    state.complete = first_json_object(state.text)
                yield
                if state.complete is not None:
                    break
        except openai.OpenAIError as exc:
            raise self._user_error(exc, request) from exc
        finally:
            stream.close()
        if not state.text.strip():
            raise ProviderError(
                f"{self._host} returned no text (finish reason {state.reason or 'unknown'}); try again or raise the "
                "output token limit.")

    def _learn_from(self, exc: Exception, params: dict[str, Any]) -> bool:
        """True when the 400 names an option we can change (json_schema, token limit, temperature) and retry."""
        detail = str(exc).lower()
        if _CONTEXT_OVERFLOW.search(detail):  # vLLM's wording names both token parameters: nothing to learn
            return False
        if "response_format" in params and any(w in detail for w in ("response_format", "json_schema")):
            logger.info("%s rejects json_schema output; putting the schema in the prompt instead", self._host)
            self.schema_mode = False
            return True
        other = {"max_tokens": "max_completion_tokens", "max_completion_tokens": "max_tokens"}[self._max_tokens_param]
        if self._max_tokens_param in detail and other in detail:
            logger.info("%s wants %s instead of %s", self._host, other, self._max_tokens_param)
            self._max_tokens_param = other
            return True
        for name in ("stream_options", "stream"):  # a server that cannot stream: read whole replies
            if name in params and name in detail:
                logger.info("%s rejects %s; reading whole replies", self._host, name)
                self._dropped_params.add(name)
                if name == "stream":
                    self._dropped_params.add("stream_options")
                return True
        if "temperature" in params and "temperature" in detail:
            logger.info("%s rejects temperature for %s; using its default", self._host, self.model)
            self._dropped_params.add("temperature")
            return True
        return False

    def _read_stream(self, stream: Any, request: LLMRequest) -> LLMResponse:
        """Read a streamed reply up to its first complete JSON object, then close the connection."""
        state = _Streamed()
        for _ in self._follow(stream, request, state):
            pass
        text, usage = state.complete or state.text, state.usage
        match = _FENCE.match(text)
        return LLMResponse(
            text=match.group(1) if match else text,
            model=state.model or self.model,
            # Usage comes in the last chunk: a reply stopped early has none, and the chain estimates its tokens.
            input_tokens=(usage.prompt_tokens or 0) if usage else 0,
            cached_input_tokens=(getattr(getattr(usage, "prompt_tokens_details", None), "cached_tokens", 0) or 0)
            if usage else 0,
            output_tokens=(usage.completion_tokens or 0) if usage else 0,
        )

    def _response(self, completion: Any, *, schema_in_prompt: bool) -> LLMResponse:
        choice = completion.choices[0] if completion.choices else None
        text = (choice.message.content or "") if choice else ""
        if not text.strip():
            reason = getattr(choice, "finish_reason", None) or "unknown"
            raise ProviderError(
                f"{self._host} returned no text (finish reason {reason}); try again or raise the output token limit.",
            )
        if schema_in_prompt:
            # Models asked in the prompt often wrap JSON in a Markdown fence.
            match = _FENCE.match(text)
            text = match.group(1) if match else text
        usage = completion.usage
        return LLMResponse(
            text=text,
            model=completion.model or self.model,
            input_tokens=(usage.prompt_tokens or 0) if usage else 0,
            # llama.cpp, vLLM and OpenAI report the prefix-cache hits here.
            cached_input_tokens=(getattr(getattr(usage, "prompt_tokens_details", None), "cached_tokens", 0) or 0)
            if usage else 0,
            output_tokens=(usage.completion_tokens or 0) if usage else 0,
        )

    def _user_error(self, exc: Exception, request: LLMRequest) -> ProviderError:
        import openai

        host = self._host
        # Some servers echo the key they were sent in the error body: it stays out of the log.
        logger.warning("%s error: %s", host, str(exc).replace(self._api_key.get_secret_value(), "••••")[:300])
        if self.visitor:
            return self._visitor_error(exc)
        if isinstance(exc, openai.APITimeoutError):
            seconds = request.timeout_seconds or self.options.timeout_seconds
            return ProviderError(
                f"{host} did not answer within {seconds:g} seconds; try again or raise CHATPAPER_LLM_TIMEOUT_SECONDS.",
            )
        if isinstance(exc, openai.APIConnectionError):
            return ProviderError(
                f"{host} could not be reached; check that the server is running and CHATPAPER_OPENAI_BASE_URL is right.",
            )
        if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
            return ProviderError(f"{host} rejected the API key; check OPENAI_API_KEY or paste a valid key.")
        if isinstance(exc, openai.RateLimitError):
            if "insufficient_quota" in (getattr(exc, "code", None), getattr(exc, "type", None)):
                return ProviderError(f"{host} says the account's quota is used up; check its billing or use another provider.")
            return ProviderError(f"{host}'s rate limit was reached; wait a minute or use another provider.")
        if isinstance(exc, openai.BadRequestError) and _CONTEXT_OVERFLOW.search(str(exc)):
            return ProviderError(
                f"The text is longer than the context window of the model at {host}; "
                "give the server a larger context size or use a model with a larger window."
            )
        if isinstance(exc, openai.NotFoundError):
            return ProviderError(f"{host} has no model named {self.model!r}; " + ANOTHER_MODEL)
        if isinstance(exc, openai.APIStatusError):
            if exc.status_code >= 500:
                return ProviderError(
                    f"{host} is unavailable right now (HTTP {exc.status_code}); try again in a few minutes.",
                )
            return ProviderError(f"{host} refused the request (HTTP {exc.status_code}); check the model name and options.")
        return ProviderError(f"{host} failed unexpectedly ({type(exc).__name__}); try again or use another provider.")

    def _visitor_error(self, exc: Exception) -> ProviderError:
        """A visitor's endpoint: key, quota and context problems are the visitor's to fix; the rest is one
        sentence (refused, closed, silent, not an API, redirected) that says nothing about what listens."""
        import openai

        from chatpaper.llm.endpoints import RESOLVES_PRIVATE, refused_as_private

        if refused_as_private(exc):
            return ProviderError(RESOLVES_PRIVATE)
        if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
            return ProviderError("Your endpoint rejected the API key; paste a valid key for it.")
        if isinstance(exc, openai.RateLimitError):
            return ProviderError("Your endpoint's rate limit or quota was reached; wait a minute or use another "
                                 "provider.")
        if isinstance(exc, openai.BadRequestError) and _CONTEXT_OVERFLOW.search(str(exc)):
            return ProviderError("The text is longer than the context window of your endpoint's model; use a "
                                 "model with a larger window.")
        return ProviderError(VISITOR_ENDPOINT_FAILED)


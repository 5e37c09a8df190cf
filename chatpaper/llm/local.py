"""An in-process llama.cpp GGUF model through `xllamacpp` (optional: `pip install 'chatpaper[local]'`).

JSON replies are constrained by llama.cpp's JSON-schema grammar, so even a tiny model returns
schema-shaped JSON. Each model file is loaded once per process and shared; a lock per model
serialises generation (one llama.cpp slot).
"""
from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar, NoReturn

from pydantic import BaseModel, Field

from chatpaper.errors import ProviderError
from chatpaper.llm.base import LLMRequest, LLMResponse, Provider, ProviderOptions

logger = logging.getLogger(__name__)

MODEL_PATH_VARIABLE = "CHATPAPER_LOCAL_MODEL_PATH"
DEFAULT_N_CTX = 8192  # fits a paper's key sections; small models rarely do better with more


class _Engine:
    """One loaded model: the xllamacpp server object and the lock that serialises its use."""

    def __init__(self, server: Any):
        self.server = server
        self.lock = threading.Lock()


_ENGINES: dict[tuple[str, int, int, int], _Engine] = {}
_ENGINES_LOCK = threading.Lock()


def _load_engine(path: Path, *, n_ctx: int, n_threads: int, n_gpu_layers: int) -> _Engine:
    key = (str(path.resolve()), n_ctx, n_threads, n_gpu_layers)
    with _ENGINES_LOCK:  # held while loading, so two threads never load the same file twice
        engine = _ENGINES.get(key)
        if engine is None:
            try:
                import xllamacpp
            except ImportError as exc:
                raise ProviderError(
                    "The local provider needs xllamacpp; install it with pip install 'chatpaper[local]'."
                ) from exc
            params = xllamacpp.CommonParams()
            params.model.path = key[0]
            params.n_ctx = n_ctx
            params.n_parallel = 1
            params.n_gpu_layers = n_gpu_layers
            params.cpuparams.n_threads = n_threads
            params.cpuparams_batch.n_threads = n_threads
            params.verbosity = -1  # llama.cpp's own logging is noisy on stderr
            try:
                engine = _Engine(xllamacpp.Server(params))
            except Exception as exc:
                raise ProviderError(
                    f"llama.cpp could not load {path.name}; check that it is a valid GGUF model file."
                ) from exc
            _ENGINES[key] = engine
            logger.info("loaded %s (n_ctx=%d, n_threads=%d)", path.name, n_ctx, n_threads)
        return engine


def grammar_schema(
    schema_model: type[BaseModel], *, max_array_items: int | None, max_scalar_items: int | None = None
) -> dict[str, Any]:
    """The model's JSON schema for constrained decoding: compact whitespace, bounded arrays.

    Flexible whitespace lets a small model emit newlines and tabs until it runs out of tokens, and an
    unbounded array lets it count pages 1, 2, 3... to the end: the grammar closes both doors."""
    schema = schema_model.model_json_schema()

    def bound(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "array" and "maxItems" not in node:
                scalar = (node.get("items") or {}).get("type") in ("integer", "number", "string", "boolean")
                cap = (max_scalar_items or max_array_items) if scalar else max_array_items
                if cap:
                    node["maxItems"] = cap
            for value in node.values():
                bound(value)
        elif isinstance(node, list):
            for value in node:
                bound(value)

    bound(schema)
    schema["x-guidance"] = {"whitespace_flexible": False}  # llguidance's compact-JSON switch
    return schema


def default_threads() -> int:
    """All the cores this process may use, minus those other processes keep busy right now.

    llama.cpp's threads wait for each other at every step: on an oversubscribed machine two threads
    ran 20x slower than one (136 s against 6 s for 64 tokens with SmolLM2, load 10 on 2 cores)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        busy = round(os.getloadavg()[0])
    except OSError:  # not available on this platform
        busy = 0
    return max(1, min(cores, cores - busy + 1))


def resolve_model_path(model_path: str | Path | None = None) -> Path:
    """The path given (the registry passes settings.local_model_path); it must name an existing file."""
    raw = model_path
    if not raw:
        raise ProviderError(f"No local model is configured; set {MODEL_PATH_VARIABLE} to a .gguf file.")
    path = Path(raw).expanduser()
    if not path.is_file():
        raise ProviderError(f"No GGUF model file at {path}; set {MODEL_PATH_VARIABLE} to an existing .gguf file.")
    return path


class LocalOptions(ProviderOptions):
    """`local`'s options."""

    n_ctx: int = Field(DEFAULT_N_CTX, ge=256, description="Context size in tokens (prompt plus reply)")
    n_threads: int | None = Field(None, ge=1, description="CPU threads; defaults to the idle cores")
    n_gpu_layers: int = Field(0, ge=0, description="Layers to offload to a GPU build of llama.cpp")
    dry_multiplier: float = Field(
        0.8, ge=0, description="llama.cpp's DRY sampler against repeated phrases (0 turns it off)"
    )
    max_array_items: int | None = Field(
        24, ge=1, description="Grammar cap on arrays without maxItems: small models otherwise loop"
    )
    max_scalar_items: int | None = Field(
        8, ge=1, description="The same cap for arrays of numbers or strings (pages, keywords)"
    )


class LocalProvider(Provider[LocalOptions]):
    """`local`: a GGUF model run in this process by llama.cpp; no key, no network."""

    name: ClassVar[str] = "local"
    Options = LocalOptions
    can_stream: ClassVar[bool] = True

    def __init__(
        self,
        *,
        model_path: str | Path | None = None,
        model: str | None = None,
        options: dict[str, Any] | None = None,
    ):
        super().__init__(model=model, options=options)
        self.model_path = resolve_model_path(model_path)
        self.model = model or self.model_path.stem
        self.context_window = self.options.n_ctx
        self.n_threads = self.options.n_threads or default_threads()
        self._engine = _load_engine(
            self.model_path, n_ctx=self.options.n_ctx, n_threads=self.n_threads, n_gpu_layers=self.options.n_gpu_layers
        )

    def _body(self, request: LLMRequest) -> dict[str, Any]:
        messages = [{"role": "system", "content": request.system}] if request.system else []
        messages.append({"role": "user", "content": request.prompt})  # the paper first: llama.cpp reuses the prefix
        messages += [{"role": "assistant" if r == "assistant" else "user", "content": t} for r, t in request.history]
        body: dict[str, Any] = {
            "messages": messages,
            "max_tokens": request.max_output_tokens,
            "temperature": request.temperature,
            "cache_prompt": True,
            "dry_multiplier": self.options.dry_multiplier,
        }
        if request.schema_model is not None:
            body.update(self._constraint(request.schema_model))
        if request.timeout_seconds:
            # llama.cpp stops generating after this budget (checked at line breaks); loading is not counted.
            body["t_max_predict_ms"] = int(request.timeout_seconds * 1000)
        return body

    def _constraint(self, schema_model: type[BaseModel]) -> dict[str, Any]:
        """A grammar for compact JSON valid against the schema (llguidance in current xllamacpp)."""
        schema = grammar_schema(
            schema_model, max_array_items=self.options.max_array_items, max_scalar_items=self.options.max_scalar_items
        )
        try:
            from xllamacpp import json_schema_to_grammar

            return {"grammar": json_schema_to_grammar(schema)}
        except (ImportError, ValueError, RuntimeError) as exc:  # older builds: the server converts it itself
            logger.info("json_schema_to_grammar unavailable (%s); sending the schema", exc)
            schema.pop("x-guidance", None)
            json_schema = {"name": schema_model.__name__, "schema": schema}
            return {"response_format": {"type": "json_schema", "json_schema": json_schema}}

    def generate(self, request: LLMRequest) -> LLMResponse:
        body = self._body(request)
        with self._engine.lock:
            try:
                reply = self._engine.server.handle_chat_completions(body)
            except Exception as exc:  # xllamacpp raises ValueError/RuntimeError for bad requests
                raise self._failed(exc) from exc
        if not isinstance(reply, dict):
            raise ProviderError("The local model gave an unreadable reply; try again or use another provider.")
        if "error" in reply:
            self._raise_error(reply["error"])
        choices = reply.get("choices") or [{}]
        text = (choices[0].get("message") or {}).get("content") or ""
        if not text.strip():
            raise ProviderError("The local model returned no text; try again or use a larger model.")
        usage = reply.get("usage") or {}
        return LLMResponse(
            text=text,
            model=self.model,
            input_tokens=int(usage.get("prompt_tokens") or 0),
            output_tokens=int(usage.get("completion_tokens") or 0),
        )

    def stream(self, request: LLMRequest) -> Iterator[str]:
        """The reply's text as llama.cpp writes it (the ask chat shows the answer growing).

        xllamacpp hands each chunk to a callback and returns when the reply is done, so the call runs in a
        thread and its chunks come through a queue. A reader that stops early leaves the thread to finish
        the reply, which max_output_tokens and the request's time budget bound."""
        body = {**self._body(request), "stream": True}
        chunks: queue.Queue[dict[str, Any] | BaseException | None] = queue.Queue()

        def run() -> None:
            with self._engine.lock:
                try:
                    self._engine.server.handle_chat_completions(body, chunks.put)
                except Exception as exc:  # noqa: BLE001 - handed to the reader, who raises it as one sentence
                    chunks.put(exc)
            chunks.put(None)

        threading.Thread(target=run, name="chatpaper-local-stream", daemon=True).start()
        written = ""
        while (chunk := chunks.get()) is not None:
            if isinstance(chunk, BaseException):
                raise self._failed(chunk) from chunk
            if not isinstance(chunk, dict):
                continue
            if "error" in chunk:
                self._raise_error(chunk["error"])
            for choice in chunk.get("choices") or []:
                piece = (choice.get("delta") or {}).get("content") or ""
                if piece:
                    written += piece
                    yield piece
        if not written.strip():
            raise ProviderError("The local model returned no text; try again or use a larger model.")

    def _failed(self, exc: BaseException) -> ProviderError:
        logger.warning("llama.cpp error: %s", str(exc)[:300])
        return ProviderError(f"The local model could not run this request ({type(exc).__name__}); "
                             "try a smaller paper or another provider.")

    def _raise_error(self, error: Any) -> NoReturn:
        error = error if isinstance(error, dict) else {"message": str(error)}
        logger.warning("llama.cpp error: %s", str(error.get("message"))[:300])
        if error.get("type") == "exceed_context_size_error":
            raise ProviderError(
                f"The text is longer than the local model's context ({self.context_window} tokens); "
                "raise n_ctx or use a provider with a larger context."
            )
        raise ProviderError(
            f"The local model refused the request ({error.get('type') or 'error'}); try another provider."
        )

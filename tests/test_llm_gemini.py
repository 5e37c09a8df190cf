"""The Gemini adapter, tested with an injected fake client and at the HTTP transport (httpx.MockTransport).

No network: the google-genai SDK runs for real down to the transport, which serves canned JSON.
"""
from __future__ import annotations

import json
import logging
from types import SimpleNamespace

import httpx
import pytest
from conftest import CannedServer
from google.genai import errors as genai_errors
from pydantic import BaseModel

from chatpaper.errors import ProviderError
from chatpaper.llm.base import LLMRequest
from chatpaper.llm.gemini import DEFAULT_GEMINI_MODEL, GeminiProvider

KEY = "AIza-test-secret-9f8e7d"
FAST_RETRY = {"initial_retry_delay": 0.0, "retry_jitter": 0.0, "max_retry_delay": 0.0}


class Keywords(BaseModel):
    title_translation: str
    keywords: list[str]


def reply(text: str, *, prompt_tokens: int = 1200, output_tokens: int = 40) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}],
            "usageMetadata": {
                "promptTokenCount": prompt_tokens,
                "candidatesTokenCount": output_tokens,
                "totalTokenCount": prompt_tokens + output_tokens,
            },
            "modelVersion": DEFAULT_GEMINI_MODEL,
        },
    )


def api_error(code: int, status: str, message: str) -> httpx.Response:
    return httpx.Response(code, json={"error": {"code": code, "status": status, "message": message}})


Server = CannedServer  # answers from a queue, records every request


def provider_for(server: Server, **options) -> GeminiProvider:
    return GeminiProvider(api_key=KEY, transport=httpx.MockTransport(server), options={**FAST_RETRY, **options})


PAPER_PROMPT = "PAPER TEXT: We propose FlowNet, reaching 87.3% on ImageNet.\n\nINSTRUCTION: give keywords."


def test_request_shape_puts_the_paper_first_and_asks_for_native_json_schema():
    server = Server(reply('{"title_translation": "流网络", "keywords": ["flow"]}'))
    response = provider_for(server).generate(
        LLMRequest(system="You summarise papers.", prompt=PAPER_PROMPT, schema_model=Keywords, max_output_tokens=512)
    )

    request = server.requests[0]
    assert request.method == "POST"
    assert f"models/{DEFAULT_GEMINI_MODEL}:generateContent" in str(request.url)
    assert request.headers["x-goog-api-key"] == KEY  # sent to Google, and only there
    body = server.body()
    assert body["contents"][0] == {"role": "user", "parts": [{"text": PAPER_PROMPT}]}
    assert body["systemInstruction"]["parts"][0]["text"] == "You summarise papers."
    config = body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"]["required"] == ["title_translation", "keywords"]
    assert config["maxOutputTokens"] == 512 + provider_for(Server()).options.thinking_headroom  # thinking is not truncated
    assert Keywords.model_validate_json(response.text).keywords == ["flow"]
    assert (response.input_tokens, response.output_tokens) == (1200, 40)
    assert response.model == DEFAULT_GEMINI_MODEL


def test_plain_text_request_has_no_schema_and_history_turns_follow_the_paper():
    server = Server(reply("fixed"))
    provider_for(server).generate(
        LLMRequest(prompt=PAPER_PROMPT, history=[("assistant", "{bad json"), ("user", "Reply with valid JSON.")])
    )
    body = server.body()
    assert [c["role"] for c in body["contents"]] == ["user", "model", "user"]
    assert body["contents"][0]["parts"][0]["text"] == PAPER_PROMPT
    assert body["contents"][2]["parts"][0]["text"] == "Reply with valid JSON."
    assert "responseMimeType" not in body.get("generationConfig", {})
    assert "systemInstruction" not in body


def test_model_is_configurable_and_older_models_get_no_thinking_headroom():
    server = Server(reply("ok"))
    GeminiProvider(model="gemini-2.0-flash", api_key=KEY, transport=httpx.MockTransport(server)).generate(
        LLMRequest(prompt="p", max_output_tokens=300)
    )
    assert "models/gemini-2.0-flash:generateContent" in str(server.requests[0].url)
    assert server.body()["generationConfig"]["maxOutputTokens"] == 300


def test_api_version_option_and_vertex_environment_is_ignored(monkeypatch):
    monkeypatch.setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
    server = Server(reply("ok"))
    provider_for(server, api_version="v1beta").generate(LLMRequest(prompt="p"))
    assert str(server.requests[0].url).startswith("https://generativelanguage.googleapis.com/v1beta/models/")


def test_429_then_200_is_retried_by_the_sdk():
    server = Server(api_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded."), reply("after the wait"))
    response = provider_for(server, retries=2).generate(LLMRequest(prompt=PAPER_PROMPT))
    assert response.text == "after the wait"
    assert len(server.requests) == 2


def test_503_twice_then_200_is_retried():
    server = Server(api_error(503, "UNAVAILABLE", "Overloaded."), api_error(503, "UNAVAILABLE", "Overloaded."), reply("ok"))
    assert provider_for(server, retries=3).generate(LLMRequest(prompt="p")).text == "ok"
    assert len(server.requests) == 3


def test_rate_limit_that_persists_becomes_one_sentence():
    server = Server(*[api_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded.")] * 3)
    with pytest.raises(ProviderError) as caught:
        provider_for(server, retries=2).generate(LLMRequest(prompt="p"))
    assert str(caught.value) == "Gemini's rate limit was reached; wait a minute or use another provider."
    assert len(server.requests) == 3  # bounded: one try plus two retries


def test_timeout_is_retried_then_reported_as_one_sentence():
    server = Server(*[httpx.ReadTimeout("slow")] * 2)
    with pytest.raises(ProviderError) as caught:
        provider_for(server, retries=1).generate(LLMRequest(prompt="p", timeout_seconds=7))
    assert "did not answer within 7 seconds" in str(caught.value)
    assert len(server.requests) == 2


def test_every_call_carries_a_timeout():
    server = Server(reply("ok"), reply("ok"))
    provider = provider_for(server, timeout_seconds=42)
    provider.generate(LLMRequest(prompt="p"))
    provider.generate(LLMRequest(prompt="p", timeout_seconds=5))
    assert server.requests[0].extensions["timeout"]["read"] == pytest.approx(42)
    assert server.requests[1].extensions["timeout"]["read"] == pytest.approx(5)


@pytest.mark.parametrize(
    "response",
    [
        api_error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."),
        api_error(403, "PERMISSION_DENIED", "Permission denied."),
    ],
)
def test_bad_key_is_not_retried_and_says_what_to_do(response):
    server = Server(response, reply("never"))
    with pytest.raises(ProviderError) as caught:
        provider_for(server).generate(LLMRequest(prompt="p"))
    assert str(caught.value) == "Gemini rejected the API key; check GEMINI_API_KEY or paste a valid key."
    assert len(server.requests) == 1


def test_unknown_model_names_the_model():
    server = Server(api_error(404, "NOT_FOUND", "models/gemini-9 is not found."))
    with pytest.raises(ProviderError, match="no model named 'gemini-9'"):
        GeminiProvider(model="gemini-9", api_key=KEY, transport=httpx.MockTransport(server)).generate(LLMRequest(prompt="p"))


def test_empty_reply_is_an_error_with_the_finish_reason():
    server = Server(
        httpx.Response(200, json={"candidates": [{"content": {"role": "model", "parts": []}, "finishReason": "MAX_TOKENS"}]})
    )
    with pytest.raises(ProviderError, match="MAX_TOKENS"):
        provider_for(server).generate(LLMRequest(prompt="p"))


def test_key_never_appears_in_repr_vars_errors_or_logs(caplog):
    caplog.set_level(logging.DEBUG)
    server = Server(api_error(500, "INTERNAL", "boom"), api_error(401, "UNAUTHENTICATED", "bad"))
    provider = provider_for(server, retries=1)
    with pytest.raises(ProviderError) as caught:
        provider.generate(LLMRequest(prompt="p"))
    for text in (repr(provider), str(provider), repr(vars(provider)), str(caught.value), caplog.text):
        assert KEY not in text


# ----------------------------------------------------------------------------- injected fake client


class FakeModels:
    def __init__(self, outcome):
        self.outcome = outcome
        self.calls: list[dict] = []

    def generate_content(self, **kwargs):
        self.calls.append(kwargs)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


def fake_client(outcome) -> SimpleNamespace:
    return SimpleNamespace(models=FakeModels(outcome))


def test_fake_client_receives_the_typed_config():
    usage = SimpleNamespace(prompt_token_count=10, candidates_token_count=3, thoughts_token_count=2)
    client = fake_client(SimpleNamespace(text='{"title_translation": "t", "keywords": []}', usage_metadata=usage,
                                         model_version="gemini-x", candidates=[]))
    response = GeminiProvider(client=client).generate(LLMRequest(system="s", prompt="p", schema_model=Keywords))
    call = client.models.calls[0]
    assert call["model"] == DEFAULT_GEMINI_MODEL
    assert call["config"].response_mime_type == "application/json"
    assert call["config"].response_json_schema == Keywords.model_json_schema()
    assert call["config"].system_instruction == "s"
    assert (response.input_tokens, response.output_tokens) == (10, 5)  # thinking tokens count as output


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (genai_errors.ServerError(502, {"error": {"message": "bad gateway"}}), "unavailable right now (HTTP 502)"),
        (genai_errors.ClientError(429, {"error": {"message": "slow down"}}), "rate limit was reached"),
        (genai_errors.ClientError(401, {"error": {"message": "no"}}), "rejected the API key"),
        (genai_errors.ClientError(400, {"error": {"message": "bad field"}}), "refused the request (HTTP 400)"),
        (httpx.ConnectError("dns"), "could not be reached"),
    ],
)
def test_sdk_errors_map_to_one_sentence(exc, expected):
    with pytest.raises(ProviderError) as caught:
        GeminiProvider(client=fake_client(exc)).generate(LLMRequest(prompt="p"))
    assert expected in str(caught.value)
    assert str(caught.value).count(". ") == 0  # one sentence


def test_missing_key_names_the_variable_to_set():
    with pytest.raises(ProviderError, match="set GEMINI_API_KEY"):
        GeminiProvider()


def test_key_comes_from_google_api_key_too(monkeypatch):
    monkeypatch.setenv("GOOGLE_API_KEY", "env-key-123")
    server = Server(reply("ok"))
    GeminiProvider(transport=httpx.MockTransport(server)).generate(LLMRequest(prompt="p"))
    assert server.requests[0].headers["x-goog-api-key"] == "env-key-123"


def test_explicit_key_beats_the_environment(monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "env-key")
    server = Server(reply("ok"))
    GeminiProvider(api_key="explicit-key", transport=httpx.MockTransport(server)).generate(LLMRequest(prompt="p"))
    assert server.requests[0].headers["x-goog-api-key"] == "explicit-key"


def test_misspelt_option_fails_loudly():
    with pytest.raises(ValueError):
        GeminiProvider(api_key=KEY, options={"timeout": 3})


def test_the_sdks_default_httpx2_backend_is_mapped_too():
    """Without an injected transport the SDK speaks httpx2: its timeouts must map the same way."""
    import httpx2

    answers = [httpx2.ReadTimeout("slow"), httpx2.Response(200, json=json.loads(reply("ok").content))]

    def handler(request):
        item = answers.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    provider = GeminiProvider(api_key=KEY, transport=httpx2.MockTransport(handler), options={**FAST_RETRY, "retries": 1})
    assert provider.generate(LLMRequest(prompt="p")).text == "ok"  # retried after the timeout
    answers[:] = [httpx2.ReadTimeout("slow")] * 2
    with pytest.raises(ProviderError, match="did not answer within"):
        provider.generate(LLMRequest(prompt="p"))

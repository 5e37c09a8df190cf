"""The OpenAI-compatible adapter through the real `openai` SDK down to a mocked HTTP transport.

The SDK speaks httpx2, so the canned server is an `httpx2.MockTransport` in an `httpx2.Client`.
"""
from __future__ import annotations

import json
import logging

import httpx2
import pytest
from conftest import CannedServer
from pydantic import BaseModel

from chatpaper.errors import ProviderError
from chatpaper.llm.base import LLMRequest
from chatpaper.llm.openai_compat import (
    DEFAULT_OPENAI_MODEL,
    LOCAL_SERVER_KEY,
    SERVER_CONTEXT_WINDOW,
    OpenAICompatProvider,
)

KEY = "sk-test-secret-4b3a2c1d"
OLLAMA = "http://localhost:11434/v1"
PAPER_PROMPT = "PAPER TEXT: We propose FlowNet, reaching 87.3% on ImageNet.\n\nINSTRUCTION: list the method steps."


class Step(BaseModel):
    text: str
    pages: list[int] = []


class Methods(BaseModel):
    steps: list[Step]


METHODS_JSON = '{"steps": [{"text": "Encode the flow.", "pages": [3]}]}'


def completion(text: str, *, model: str = DEFAULT_OPENAI_MODEL) -> httpx2.Response:
    return httpx2.Response(
        200,
        json={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 900, "completion_tokens": 30, "total_tokens": 930},
        },
    )


def sse(*texts: str, usage: dict | None = None, pulled: list | None = None, model: str = "qwen2.5:7b"
        ) -> httpx2.Response:
    """A streamed completion: one chunk per text, then a usage chunk; `pulled` counts the chunks read."""
    def chunks():
        for i, text in enumerate(texts):
            if pulled is not None:
                pulled.append(i)
            chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": model,
                     "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
            yield f"data: {json.dumps(chunk)}\n\n".encode()
        if usage is not None:
            chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": model, "choices": [],
                     "usage": usage}
            yield f"data: {json.dumps(chunk)}\n\n".encode()
        yield b"data: [DONE]\n\n"

    return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=chunks())


def error(code: int, message: str, *, type_: str = "invalid_request_error", param: str | None = None,
          headers: dict | None = None) -> httpx2.Response:
    body = {"error": {"message": message, "type": type_, "param": param, "code": None}}
    return httpx2.Response(code, json=body, headers=headers)


Server = CannedServer  # answers from a queue, records every request


def provider_for(server: Server, *, api_key: str | None = KEY, base_url: str | None = None, **options):
    return OpenAICompatProvider(
        api_key=api_key, base_url=base_url, options=options, http_client=httpx2.Client(transport=httpx2.MockTransport(server))
    )


def test_request_shape_and_strict_json_schema_mode():
    server = Server(completion(METHODS_JSON))
    response = provider_for(server).generate(
        LLMRequest(system="You summarise papers.", prompt=PAPER_PROMPT, schema_model=Methods, max_output_tokens=700)
    )

    request = server.requests[0]
    assert str(request.url) == "https://api.openai.com/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    body = server.body()
    assert body["model"] == DEFAULT_OPENAI_MODEL
    assert body["messages"] == [
        {"role": "system", "content": "You summarise papers."},
        {"role": "user", "content": PAPER_PROMPT},
    ]
    assert body["max_completion_tokens"] == 700
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "Methods"
    assert fmt["json_schema"]["strict"] is True
    step = fmt["json_schema"]["schema"]["$defs"]["Step"]
    assert step["required"] == ["text", "pages"] and step["additionalProperties"] is False  # strict form
    assert Methods.model_validate_json(response.text).steps[0].pages == [3]
    assert (response.input_tokens, response.output_tokens) == (900, 30)


def test_custom_base_url_needs_no_key_and_uses_max_tokens():
    server = Server(completion("hello", model="qwen2.5:7b"))
    provider = OpenAICompatProvider(
        model="qwen2.5:7b", base_url=OLLAMA, http_client=httpx2.Client(transport=httpx2.MockTransport(server))
    )
    response = provider.generate(LLMRequest(prompt="p", max_output_tokens=99))
    request = server.requests[0]
    assert str(request.url) == f"{OLLAMA}/chat/completions"
    assert request.headers["authorization"] == f"Bearer {LOCAL_SERVER_KEY}"
    assert server.body()["max_tokens"] == 99 and "max_completion_tokens" not in server.body()
    assert "response_format" not in server.body()
    assert response.model == "qwen2.5:7b"
    assert provider.context_window == SERVER_CONTEXT_WINDOW  # self-hosted: sized conservatively


def test_base_url_from_environment(monkeypatch):
    """The SDK's OPENAI_BASE_URL is read by Settings (the one reader), and ours wins over it."""
    from chatpaper.llm.registry import get_provider
    from chatpaper.settings import Settings

    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1")
    settings = Settings()
    assert settings.openai_base_url == "http://127.0.0.1:8080/v1"
    server = Server(completion("ok"))
    provider_for(server, api_key=None, base_url=settings.openai_base_url).generate(LLMRequest(prompt="p"))
    assert str(server.requests[0].url) == "http://127.0.0.1:8080/v1/chat/completions"
    assert get_provider("openai", settings=settings).base_url == "http://127.0.0.1:8080/v1"
    monkeypatch.setenv("CHATPAPER_OPENAI_BASE_URL", "http://127.0.0.1:9090/v1")
    assert get_provider("openai", settings=Settings()).base_url == "http://127.0.0.1:9090/v1"


def test_history_follows_the_paper_for_corrective_retries():
    server = Server(completion(METHODS_JSON))
    provider_for(server).generate(
        LLMRequest(prompt=PAPER_PROMPT, history=[("assistant", "{oops"), ("user", "That was not valid JSON; fix it.")])
    )
    roles = [m["role"] for m in server.body()["messages"]]
    assert roles == ["user", "assistant", "user"]
    assert server.body()["messages"][0]["content"] == PAPER_PROMPT


def test_server_rejecting_json_schema_falls_back_to_schema_in_prompt_and_remembers():
    server = Server(
        error(400, "Unrecognized request argument supplied: response_format", param="response_format"),
        sse("```json\n", METHODS_JSON, "\n```", usage={"prompt_tokens": 900, "completion_tokens": 30,
                                                        "total_tokens": 930}),
        sse(METHODS_JSON),
    )
    provider = provider_for(server, base_url=OLLAMA)
    first = provider.generate(LLMRequest(prompt=PAPER_PROMPT, schema_model=Methods))
    provider.generate(LLMRequest(prompt=PAPER_PROMPT, schema_model=Methods))

    assert "response_format" in server.body(0)
    fallback = server.body(1)
    assert "response_format" not in fallback
    assert fallback["stream"] is True  # nothing constrains the reply: it is read up to its first object
    prompt = fallback["messages"][0]["content"]
    assert prompt.startswith(PAPER_PROMPT)  # the paper still comes first
    assert '"steps"' in prompt and "JSON schema" in prompt
    assert Methods.model_validate_json(first.text)  # the Markdown fence is stripped
    assert "response_format" not in server.body(2)  # remembered: no second rejected call
    assert len(server.requests) == 3
    assert provider.schema_mode is False


def test_an_unconstrained_reply_is_read_up_to_its_first_json_object_and_no_further():
    pulled: list[int] = []
    run_on = [" And here is another object: {\"steps\": []}"] + [" more text"] * 200
    server = Server(sse('{"steps": [{"text": "Encode', ' the flow.", "pages": [3]}]}', *run_on, pulled=pulled))
    provider = provider_for(server, base_url=OLLAMA, schema_mode=False)
    response = provider.generate(LLMRequest(prompt=PAPER_PROMPT, schema_model=Methods))
    assert response.text == METHODS_JSON
    assert len(pulled) < 10  # the connection closed at the object's end, not after the run-on
    assert response.input_tokens == 0  # stopped before the usage chunk: the chain estimates its tokens


def test_a_server_that_cannot_stream_gets_whole_replies_and_that_is_remembered():
    server = Server(error(400, "stream is not supported", param="stream"), completion(METHODS_JSON),
                    completion(METHODS_JSON))
    provider = provider_for(server, base_url=OLLAMA, schema_mode=False)
    assert provider.generate(LLMRequest(prompt=PAPER_PROMPT, schema_model=Methods)).text == METHODS_JSON
    provider.generate(LLMRequest(prompt=PAPER_PROMPT, schema_model=Methods))
    assert server.body(0)["stream"] is True
    assert "stream" not in server.body(1) and "stream_options" not in server.body(1)
    assert "stream" not in server.body(2) and len(server.requests) == 3


def test_a_reply_asked_without_a_schema_is_not_streamed():
    server = Server(completion("hello"))
    provider_for(server, base_url=OLLAMA, schema_mode=False).generate(LLMRequest(prompt="p"))
    assert "stream" not in server.body()


def test_model_rejecting_temperature_is_retried_without_it():
    server = Server(
        error(400, "Unsupported value: 'temperature' does not support 0.2 with this model.", param="temperature"),
        completion("ok"),
    )
    provider = provider_for(server)
    assert provider.generate(LLMRequest(prompt="p")).text == "ok"
    assert "temperature" in server.body(0) and "temperature" not in server.body(1)


def test_server_wanting_the_other_token_limit_parameter_gets_it():
    server = Server(
        error(400, "Unsupported parameter: 'max_tokens' is not supported with this model. "
                   "Use 'max_completion_tokens' instead.", param="max_tokens"),
        completion("ok"),
        completion("ok"),
    )
    provider = provider_for(server, base_url="https://gateway.example/v1")
    provider.generate(LLMRequest(prompt="p", max_output_tokens=50))
    provider.generate(LLMRequest(prompt="p", max_output_tokens=50))
    assert server.body(0)["max_tokens"] == 50
    assert server.body(1)["max_completion_tokens"] == 50 and "max_tokens" not in server.body(1)
    assert "max_tokens" not in server.body(2)  # remembered
    assert len(server.requests) == 3


def test_other_bad_requests_are_not_retried():
    server = Server(error(400, "messages: too long"), completion("never"))
    with pytest.raises(ProviderError, match=r"refused the request \(HTTP 400\)"):
        provider_for(server).generate(LLMRequest(prompt="p", schema_model=Methods))
    assert len(server.requests) == 1


def test_429_then_200_is_retried_by_the_sdk():
    server = Server(
        error(429, "Rate limit reached", type_="rate_limit_exceeded", headers={"retry-after-ms": "1"}),
        completion("after the wait"),
    )
    assert provider_for(server, max_retries=2).generate(LLMRequest(prompt="p")).text == "after the wait"
    assert len(server.requests) == 2


def test_rate_limit_that_persists_is_bounded_and_one_sentence():
    limited = error(429, "Rate limit reached", type_="rate_limit_exceeded", headers={"retry-after-ms": "1"})
    server = Server(limited, limited, limited, completion("never"))
    with pytest.raises(ProviderError) as caught:
        provider_for(server, max_retries=2).generate(LLMRequest(prompt="p"))
    assert str(caught.value) == "OpenAI's rate limit was reached; wait a minute or use another provider."
    assert len(server.requests) == 3


def test_used_up_quota_is_not_called_a_rate_limit():
    server = Server(error(429, "You exceeded your current quota.", type_="insufficient_quota",
                          headers={"retry-after-ms": "1", "x-should-retry": "false"}))
    with pytest.raises(ProviderError, match="quota is used up"):
        provider_for(server).generate(LLMRequest(prompt="p"))


def test_500_then_200_is_retried():
    server = Server(error(500, "oops", type_="server_error", headers={"retry-after-ms": "1"}), completion("ok"))
    assert provider_for(server, max_retries=1).generate(LLMRequest(prompt="p")).text == "ok"


def test_timeout_becomes_one_sentence():
    server = Server(httpx2.ReadTimeout("slow"))
    with pytest.raises(ProviderError) as caught:
        provider_for(server, max_retries=0).generate(LLMRequest(prompt="p", timeout_seconds=9))
    assert str(caught.value) == (
        "OpenAI did not answer within 9 seconds; try again or raise CHATPAPER_LLM_TIMEOUT_SECONDS."
    )


def test_every_call_carries_a_timeout():
    server = Server(completion("ok"), completion("ok"))
    provider = provider_for(server, timeout_seconds=33)
    provider.generate(LLMRequest(prompt="p"))
    provider.generate(LLMRequest(prompt="p", timeout_seconds=4))
    assert server.requests[0].extensions["timeout"]["read"] == pytest.approx(33)
    assert server.requests[1].extensions["timeout"]["read"] == pytest.approx(4)


def test_unreachable_server_names_the_host():
    server = Server(httpx2.ConnectError("refused"))
    with pytest.raises(ProviderError, match="localhost:11434 could not be reached"):
        provider_for(server, base_url=OLLAMA, max_retries=0).generate(LLMRequest(prompt="p"))


@pytest.mark.parametrize("code", [401, 403])
def test_bad_key(code):
    server = Server(error(code, "Incorrect API key provided"))
    with pytest.raises(ProviderError) as caught:
        provider_for(server).generate(LLMRequest(prompt="p"))
    assert str(caught.value) == "OpenAI rejected the API key; check OPENAI_API_KEY or paste a valid key."


def test_unknown_model():
    server = Server(error(404, "The model `gpt-9` does not exist"))
    provider = OpenAICompatProvider(
        model="gpt-9", api_key=KEY, http_client=httpx2.Client(transport=httpx2.MockTransport(server))
    )
    with pytest.raises(ProviderError, match="no model named 'gpt-9'"):
        provider.generate(LLMRequest(prompt="p"))


def test_missing_key_without_endpoint_names_the_variable():
    with pytest.raises(ProviderError, match="set OPENAI_API_KEY"):
        OpenAICompatProvider()


def test_key_from_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    server = Server(completion("ok"))
    provider_for(server, api_key=None).generate(LLMRequest(prompt="p"))
    assert server.requests[0].headers["authorization"] == "Bearer sk-from-env"


def test_key_never_appears_in_repr_vars_errors_or_logs(caplog):
    caplog.set_level(logging.DEBUG)
    server = Server(error(401, "Incorrect API key provided"))
    provider = provider_for(server)
    with pytest.raises(ProviderError) as caught:
        provider.generate(LLMRequest(prompt="p"))
    for text in (repr(provider), str(provider), repr(vars(provider)), str(caught.value), caplog.text):
        assert KEY not in text


def test_a_server_echoing_the_key_in_its_error_does_not_put_it_in_the_log(caplog):
    caplog.set_level(logging.DEBUG)
    provider = provider_for(Server(error(401, f"Incorrect API key provided: {KEY}")))
    with pytest.raises(ProviderError) as caught:
        provider.generate(LLMRequest(prompt="p"))
    assert "error" in caplog.text and KEY not in caplog.text and KEY not in str(caught.value)


def test_quote_lengths_bind_a_local_server_but_are_not_sent_to_openai():
    """llama.cpp's grammar honours the quote's maxLength (a small model's quote runs on without it);
    OpenAI's strict mode does not list string lengths among its keywords, so they are left out there."""
    from chatpaper.models import QUOTE_MAX_CHARS, MethodsStage

    reply = '{"steps": [{"text": "Encode.", "pages": [3], "evidence": [{"page": 3, "quote": "We encode."}]}]}'
    request = LLMRequest(prompt=PAPER_PROMPT, schema_model=MethodsStage, max_output_tokens=50)
    local, openai_server = Server(completion(reply)), Server(completion(reply))
    provider_for(local, api_key=None, base_url=OLLAMA).generate(request)
    provider_for(openai_server).generate(request)
    local_defs = local.body()["response_format"]["json_schema"]["schema"]["$defs"]
    openai_defs = openai_server.body()["response_format"]["json_schema"]["schema"]["$defs"]
    assert local_defs["Evidence"]["properties"]["quote"]["maxLength"] == QUOTE_MAX_CHARS
    assert "maxLength" not in json.dumps(openai_defs)
    for defs in (local_defs, openai_defs):  # one or two quotes per point, for both
        evidence = defs["Point"]["properties"]["evidence"]
        assert (evidence["minItems"], evidence["maxItems"]) == (1, 2)

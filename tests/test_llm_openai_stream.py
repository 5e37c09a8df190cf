"""OpenAICompatProvider.stream: the reply's pieces as the server sends them (the ask chat's first token),
through the real `openai` SDK down to a mocked HTTP transport."""
from __future__ import annotations

import json

from fake_llm import sample_paper

from chatpaper.ask.answer import ask
from chatpaper.llm.base import LLMRequest
from chatpaper.settings import Settings
from tests.test_llm_openai import METHODS_JSON, OLLAMA, Methods, Server, completion, error, provider_for, sse


def test_pieces_arrive_as_sent_and_stop_at_the_first_complete_object():
    pulled: list[int] = []
    server = Server(sse('{"steps": [{"text": "Enc', 'ode the flow.", "pages": [3]}]}', ' and then I ramble',
                        " on and on", pulled=pulled))
    provider = provider_for(server, base_url=OLLAMA)
    pieces = list(provider.stream(LLMRequest(prompt="p", schema_model=Methods)))
    assert pieces == ['{"steps": [{"text": "Enc', 'ode the flow.", "pages": [3]}]}']
    assert pulled == [0, 1]  # the connection was closed at the object's end, the rambling never read
    body = server.body()
    assert body["stream"] is True and body["response_format"]["type"] == "json_schema"


def test_a_server_that_cannot_stream_gives_one_whole_reply():
    server = Server(error(400, "stream is not supported", param="stream"), completion(METHODS_JSON))
    provider = provider_for(server, base_url=OLLAMA)
    assert list(provider.stream(LLMRequest(prompt="p", schema_model=Methods))) == [METHODS_JSON]
    assert "stream" not in server.body(1)


def test_an_answer_streams_from_an_openai_compatible_server():
    reply = json.dumps({"answerable": True, "answer": "They evaluate on the MNIST dataset.", "quotes": [
        {"page": 4, "quote": "We evaluate our method on the task of digit classification on the MNIST dataset."}]})
    server = Server(sse(*(reply[i:i + 9] for i in range(0, len(reply), 9))))
    answer = ask(sample_paper(), "Which dataset is used for digit classification?",
                 provider=provider_for(server, base_url=OLLAMA), lang="en", settings=Settings())
    assert answer.kind == "answer" and answer.quotes[0].status == "verified"
    assert "<passages>" in server.body()["messages"][-1]["content"]

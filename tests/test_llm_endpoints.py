"""Endpoints typed by a visitor: no request to loopback, private or link-local hosts, no redirects,
one sentence for every failure, no credentials echoed; an operator setting allows private servers.

A real loopback listener counts the connections each base URL causes: by default it must stay at 0.
"""
from __future__ import annotations

import json
import logging
import socket
import socketserver
import threading

import pytest

from chatpaper import ui
from chatpaper.errors import ChatPaperError, FieldError, ProviderError
from chatpaper.llm import endpoints
from chatpaper.llm.base import LLMRequest
from chatpaper.llm.openai_compat import VISITOR_ENDPOINT_FAILED
from chatpaper.llm.registry import get_provider
from chatpaper.settings import Settings

REPLY = {"id": "c1", "object": "chat.completion", "created": 1, "model": "m",
         "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


class Listener:
    """A loopback TCP server that counts connections; MODE says how it answers."""

    def __init__(self, mode: str = "chat", redirect_to: int | None = None):
        self.connections = 0
        self.mode = mode
        self.redirect_to = redirect_to
        self.stop = threading.Event()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                outer.connections += 1
                if outer.mode == "hang":  # accepts the connection and never answers
                    outer.stop.wait(30)
                    return
                data = b""
                self.request.settimeout(5)
                while b"\r\n\r\n" not in data:
                    chunk = self.request.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length")), 0)
                while len(body) < length:
                    body += self.request.recv(65536)
                if outer.mode == "redirect":
                    answer = (f"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:{outer.redirect_to}"
                              "/v1/chat/completions\r\nContent-Length: 0\r\n\r\n").encode()
                else:
                    payload = json.dumps(REPLY).encode()
                    answer = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                              + str(len(payload)).encode() + b"\r\n\r\n" + payload)
                self.request.sendall(answer)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def visitor_call(base_url: str, settings: Settings | None = None, **kwargs) -> str:
    provider = get_provider("openai", model="m", base_url=base_url, settings=settings or Settings(),
                            visitor=True, **kwargs)
    return provider.generate(LLMRequest(prompt="p", max_output_tokens=5)).text


@pytest.mark.parametrize("template", [
    "https://127.0.0.1:{port}/v1",
    "http://127.0.0.1:{port}/v1",
    "https://localhost:{port}/v1",
    "https://[::1]:{port}/v1",
    "https://[::ffff:127.0.0.1]:{port}/v1",
    "https://0.0.0.0:{port}/v1",
    "https://169.254.169.254/latest",
    "https://10.0.0.5:{port}/v1",
])
def test_a_visitor_base_url_to_a_local_address_makes_no_connection(listener, template):
    with pytest.raises(ProviderError) as caught:
        visitor_call(template.format(port=listener.port))
    assert listener.connections == 0
    assert str(caught.value) in (endpoints.PUBLIC_ONLY, endpoints.HTTPS_ONLY)


def test_a_name_that_resolves_to_loopback_is_refused_at_connect_time(listener, monkeypatch):
    """DNS rebinding: the name passes the text check; the resolved address is what is refused."""
    real = socket.getaddrinfo
    answers = {"rebind.example": ["127.0.0.1"], "mixed.example": ["93.184.216.34", "127.0.0.1"]}

    def resolve(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in answers[host]]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    for host in answers:
        with pytest.raises(ProviderError) as caught:
            visitor_call(f"https://{host}:{listener.port}/v1")
        assert str(caught.value) == endpoints.RESOLVES_PRIVATE
    assert listener.connections == 0


def test_the_connection_goes_to_the_address_that_was_checked(monkeypatch):
    import httpcore2

    monkeypatch.setattr(socket, "getaddrinfo",
                        lambda host, port, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))])
    dialled = []

    def connect(self, host, port, **kwargs):
        dialled.append((host, port))
        raise httpcore2.ConnectError("stop here")

    monkeypatch.setattr(httpcore2.SyncBackend, "connect_tcp", connect)
    with pytest.raises(ProviderError) as caught:
        visitor_call("https://api.example.org/v1")
    assert dialled and set(dialled) == {("93.184.216.34", 443)}  # the IP, never the name again
    assert str(caught.value) == VISITOR_ENDPOINT_FAILED


def test_credentials_in_a_base_url_are_refused_and_never_echoed(listener, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ProviderError) as caught:
        visitor_call("https://alice:hunter2-secret@api.example.org/v1")
    assert str(caught.value) == endpoints.NO_CREDENTIALS
    assert "hunter2" not in str(caught.value) and "hunter2" not in caplog.text


def test_the_operator_can_allow_private_endpoints(listener):
    settings = Settings(allow_private_endpoints=True)
    assert visitor_call(f"http://127.0.0.1:{listener.port}/v1", settings) == "hello"
    assert listener.connections == 1


def test_a_redirect_is_not_followed():
    target = Listener()
    hop = Listener(mode="redirect", redirect_to=target.port)
    try:
        with pytest.raises(ProviderError) as caught:
            visitor_call(f"http://127.0.0.1:{hop.port}/v1", Settings(allow_private_endpoints=True))
        assert hop.connections >= 1 and target.connections == 0
        assert str(caught.value) == VISITOR_ENDPOINT_FAILED
    finally:
        hop.close()
        target.close()


def test_a_silent_server_and_a_closed_port_read_the_same_sentence():
    hanging = Listener(mode="hang")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # nothing listens there once the socket is closed
    settings = Settings(allow_private_endpoints=True, visitor_read_timeout_seconds=0.5,
                        visitor_connect_timeout_seconds=0.5, llm_timeout_seconds=300)
    try:
        messages = set()
        for port in (hanging.port, closed):
            with pytest.raises(ProviderError) as caught:
                visitor_call(f"http://127.0.0.1:{port}/v1", settings)
            messages.add(str(caught.value))
        assert messages == {VISITOR_ENDPOINT_FAILED}
        assert hanging.connections >= 1
    finally:
        hanging.close()


def test_the_visitor_timeout_caps_the_chains_longer_one():
    provider = get_provider("openai", model="m", base_url="https://api.example.org/v1", visitor=True,
                            settings=Settings(visitor_read_timeout_seconds=7, visitor_connect_timeout_seconds=2,
                                              llm_timeout_seconds=120))
    timeout = provider._params(LLMRequest(prompt="p", timeout_seconds=120))["timeout"]
    assert (timeout.read, timeout.connect) == (7, 2)
    assert provider.options.max_retries == 1


def test_the_operators_endpoint_is_not_shown_to_visitors(monkeypatch):
    secret_host = "http://10.1.2.3:8000/v1"
    app = ui.create_app(Settings(openai_base_url=secret_host, provider="openai"))
    assert "10.1.2.3" not in json.dumps(app.config, default=str)
    provider = get_provider("openai", settings=Settings(openai_base_url=secret_host), visitor=True)
    assert "10.1.2.3" not in provider._host


@pytest.mark.parametrize(("field", "value"), [
    ("base_url", "https://api.example.org/" + "a" * 100_000),
    ("base_url", "https://api.example.org/v1\r\nX-Injected: 1"),
    ("lang", "z" * 5000),
    ("lang", "<img src=x onerror=alert(1)>"),
    ("model", "gpt\r\n4"),
    ("api_key", "sk-abc def"),
    ("arxiv_text", "2405.15619\n" * 100),
])
def test_bad_fields_end_as_one_sentence_before_any_work(tmp_path, field, value):
    args = dict(arxiv_text="2405.15619", upload=None, lang="en", provider_name="openai", model="m",
                base_url="", api_key="")
    args[field] = value
    views = list(ui.run_summary(**args, settings=Settings(cache_dir=tmp_path / "cache")))
    last = views[-1]
    assert last.final and last.error and last.error.count(". ") == 0 and last.error.endswith(".")
    assert value not in last.error and "Traceback" not in last.status
    assert not (tmp_path / "cache").exists()  # refused before the cache, arXiv or a model was touched


def test_a_full_visitor_endpoint_slot_refuses_at_once(monkeypatch):
    settings = Settings(max_visitor_endpoints=1)
    taken = ui.VISITOR_SLOTS.take(settings)
    try:
        with pytest.raises(ProviderError):
            ui.VISITOR_SLOTS.take(settings)
    finally:
        taken.release()
    ui.VISITOR_SLOTS.take(settings).release()  # free again


def test_field_errors_are_typed():
    for check, value in [(ui.fields.base_url, "a\x00b"), (ui.fields.language, "en;rm"),
                         (ui.fields.whole_number, None)]:
        if check is ui.fields.whole_number:
            with pytest.raises(FieldError):
                check("lots", "number of days", 1, 14)
            continue
        with pytest.raises(ChatPaperError):
            check(value)


def test_refusals_do_not_repeat_the_url():
    with pytest.raises(ProviderError) as caught:
        endpoints.check_visitor_base_url("ftp://files.example.org/")
    assert "files.example" not in str(caught.value)

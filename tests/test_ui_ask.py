"""The app's "Ask the paper" chat: the handler on a paper the app has read, and a launched server with two
gradio_client sessions whose conversations never meet."""
from __future__ import annotations

import hashlib
import json
import re
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from fake_llm import ScriptedProvider
from served import free_port

from chatpaper import ui
from chatpaper.errors import ProviderError
from chatpaper.llm.registry import register_provider, unregister_provider
from chatpaper.reading import read
from chatpaper.settings import Settings
from chatpaper.ui.ask import NO_PAPER, Conversation, run_ask
from tests.ask_pdfs import ADAM_LIKE, paper_pdf

QUOTE = "The adaptive rule reaches 91.3% test accuracy"


def reply(answer: str, quotes=((2, QUOTE),), *, answerable: bool = True) -> str:
    return json.dumps({"answerable": answerable, "answer": answer,
                       "quotes": [{"page": p, "quote": q} for p, q in quotes]})


@pytest.fixture()
def app_paper(tmp_path):
    """A PDF the app has read (its parse in the paper cache), as after a Summarize request."""
    settings = Settings(cache_dir=tmp_path / "cache")
    pdf = tmp_path / "steps.pdf"
    pdf.write_bytes(paper_pdf(ADAM_LIKE))
    read(pdf, settings=settings)  # the library's cached read, which Summarize streams (iter_read)
    return SimpleNamespace(settings=settings, pdf=pdf)


@pytest.fixture()
def scripted():
    provider = ScriptedProvider([])
    register_provider("scripted", lambda: provider)
    yield provider
    unregister_provider("scripted")


def ask(app_paper, question, conversation=None, *, provider="scripted", key=""):
    updates = list(run_ask(question, conversation, "", str(app_paper.pdf), "en", provider, "", "", key,
                           settings=app_paper.settings))
    return updates


def test_an_answer_streams_then_shows_each_quote_with_its_page_escaped(app_paper, scripted):
    scripted.enqueue(reply("It reaches <b>91.3%</b> <img src=x onerror=alert(1)> accuracy."))
    updates = ask(app_paper, "What test accuracy on CIFAR-10?")
    assert updates[0][0][-1]["content"].startswith("⏳ Searching")
    assert any("checking the quotes" in u[0][-1]["content"] for u in updates)  # the answer as it is written
    messages, conversation, status = updates[-1]
    assert status == "" and messages[0] == {"role": "user", "content": ui.escape_md("What test accuracy on CIFAR-10?")}
    final = messages[1]["content"]
    assert "<img" not in final and "<b>" not in final and "&lt;img" in final
    assert f"> “{ui.escape_md(QUOTE)}”\n> — p. 2 · ✅ on this page" in final
    assert conversation.turns == [("What test accuracy on CIFAR-10?", "It reaches <b>91.3%</b> <img src=x "
                                   "onerror=alert(1)> accuracy.")]
    crops = [m for m in messages[2:] if isinstance(m["content"], dict)]
    assert len(crops) == 1 and Path(crops[0]["content"]["path"]).read_bytes().startswith(b"\x89PNG")


def test_a_follow_up_sees_the_earlier_turn_and_a_new_paper_starts_afresh(app_paper, scripted, tmp_path):
    scripted.enqueue(reply("91.3%."))
    scripted.enqueue(reply("With momentum, 89.7%.", [(2, "against 89.7% for plain stochastic gradient descent")]))
    first = ask(app_paper, "What test accuracy on CIFAR-10?")[-1][1]
    second = ask(app_paper, "And plain SGD?", first)[-1]
    assert "Q: What test accuracy on CIFAR-10?\nA: 91.3%." in scripted.history[1].prompt
    assert len(second[1].turns) == 2 and len([m for m in second[0] if m["role"] == "user"]) == 2
    moved = Conversation(paper_key="sha256:another", turns=second[1].turns, messages=second[1].messages)
    scripted.enqueue(reply("91.3%."))
    fresh = ask(app_paper, "What test accuracy on CIFAR-10?", moved)[-1]
    assert len(fresh[1].turns) == 1 and "<conversation>" not in scripted.history[2].prompt


def test_the_chat_needs_the_paper_on_screen_and_keeps_its_limits(app_paper, scripted, tmp_path):
    other = tmp_path / "other.pdf"
    other.write_bytes(paper_pdf([["Another Paper Never Summarized", "Some text of it that nobody has read yet."]]))
    messages, _, status = list(run_ask("What?", None, "", str(other), "en", "scripted", "", "", "",
                                       settings=app_paper.settings))[-1]
    assert messages == [] and status == f"⚠️ {ui.escape_md(NO_PAPER)}"
    full = Conversation(paper_key=_key(app_paper), turns=[("q", "a")] * app_paper.settings.ask_max_turns)
    messages, _, status = ask(app_paper, "What test accuracy?", full)[-1]
    assert "reached its 20 questions" in status and scripted.calls == 0
    long = ask(app_paper, "why " * 200)[-1]
    assert "over the 500\\-character limit" in long[2] and long[0] == []


def _key(app_paper) -> str:
    return "sha256:" + hashlib.sha256(app_paper.pdf.read_bytes()).hexdigest()


def test_a_visitors_key_is_never_echoed(app_paper, scripted):
    scripted.enqueue(ProviderError("Bad key sk-visitor-123456 for this model; check it."))
    messages, conversation, status = ask(app_paper, "What test accuracy?", key="sk-visitor-123456")[-1]
    assert "sk-visitor-123456" not in status and "••••" in status
    assert "sk-visitor" not in json.dumps(messages) and conversation.turns == []


# --------------------------------------------------------------------------- a launched server, two sessions

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    calls: list[tuple[str | None, str]] = []  # (api key, prompt) per ask call
    lock = threading.Lock()

    def fake(*, api_key=None, model=None, **_):
        def answer(request):
            with lock:
                calls.append((api_key, request.prompt))
            question = re.search(r"<question>\n(.*?)\n</question>", request.prompt, re.S).group(1)
            return reply(f"About “{question}”: 91.3%.")
        return ScriptedProvider(answer, model=model, chunk_chars=8)

    register_provider("fake-ask", fake)
    root = tmp_path_factory.mktemp("ask-app")
    pdf = root / "steps.pdf"
    pdf.write_bytes(paper_pdf(ADAM_LIKE))
    settings = Settings(cache_dir=root / "cache", max_concurrency=4)
    app = ui.create_app(settings)
    port = free_port()
    ui.launch(app, settings, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{port}/", calls=calls, pdf=pdf)
    finally:
        app.close()
        unregister_provider("fake-ask")


@pytest.mark.slow
def test_two_sessions_keep_their_own_conversations(server):
    sessions = {name: Client(server.url, verbose=False) for name in ("a", "b")}
    for client in sessions.values():  # each reads the paper first, as a visitor would
        client.predict("", handle_file(str(server.pdf)), "en", "offline", "", "", "", api_name="/summarize")

    def ask_in(name: str, question: str, key: str):
        chat, status, _ = sessions[name].predict(question, "", handle_file(str(server.pdf)), "en", "fake-ask", "",
                                                 "", key, api_name="/ask")
        assert status == "", status
        return chat

    ask_in("a", "What accuracy does the adaptive rule reach?", "key-A")
    ask_in("b", "What batch size do they train with?", "key-B")
    chat_a = ask_in("a", "And against plain momentum SGD?", "key-A")
    chat_b = ask_in("b", "How many epochs of training?", "key-B")

    def questions(chat):
        return [m["content"][0]["text"].replace("\\", "") for m in chat if m["role"] == "user"]

    assert questions(chat_a) == ["What accuracy does the adaptive rule reach?", "And against plain momentum SGD?"]
    assert questions(chat_b) == ["What batch size do they train with?", "How many epochs of training?"]
    prompts = {key: [p for k, p in server.calls if k == key] for key in ("key-A", "key-B")}
    assert len(prompts["key-A"]) == len(prompts["key-B"]) == 2
    assert "What accuracy does the adaptive rule reach?" in prompts["key-A"][1].split("<passages>")[0]
    conversation_a, conversation_b = (prompts[k][1].split("<passages>")[0] for k in ("key-A", "key-B"))
    assert "batch size" not in conversation_a and "adaptive rule" not in conversation_b
    assert "What batch size do they train with?" in prompts["key-B"][1].split("<passages>")[0]
    assert "key-A" not in json.dumps(chat_a) and "key-B" not in json.dumps(chat_b)
    crops = [part for m in chat_a for part in m["content"] if part["type"] == "file"]
    assert crops and all(c["alt_text"].startswith("p. 2: ") for c in crops)  # each quote's highlighted page

"""The app's "Ask the paper" chat, under the digest: a thin layer over `chatpaper.ask.answer.iter_ask`.

The chat asks about the paper on screen: the one the Summarize request read from the same upload or
arXiv box (its parse is in the cache); it never parses a paper of its own. The conversation lives in
one `gr.State` per browser session (a `Conversation`), never shared and never written to disk; it is
bounded in turns (settings.ask_max_turns) and each question in length (settings.ask_max_question_chars),
and a new paper starts a new conversation. A visitor's key, model and endpoint follow the digest's
rules: used for this one request, never stored, echoed or logged. Text from the paper or the model is
escaped before it reaches the chat. Each quote comes with its highlighted page crop when the PDF is
at hand (chatpaper.evidence.crops), served as a copy made for this request.
"""
from __future__ import annotations

import hashlib
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from chatpaper import fields
from chatpaper.ask.models import Answer, AnswerDelta, AnswerDone, PassagesFound, Turn
from chatpaper.errors import ChatPaperError, InvalidQuestionError
from chatpaper.models import Evidence, Paper
from chatpaper.settings import Settings

log = logging.getLogger(__name__)

# What the chat shows of a "does not say" answer's nearest passages, and of an offline answer's.
SHOWN_PASSAGES = 3
PASSAGE_CHARS = 400  # a passage's start is enough to judge it; its page says where to read on
QUOTE_STATUS = {"verified": "✅ on this page", "relocated": "✅ found on this page (the model cited another)",
                "unverified": "⚠️ not found in the paper"}
NO_PAPER = ("Summarize a paper first (upload a PDF or paste an arXiv ID above); the chat answers questions "
            "about the paper on screen.")
PLACEHOLDER = "Ask about the paper on screen, e.g. “What dataset do they train on?”"


@dataclass
class Conversation:
    """One session's chat: the paper it is about, the turns a follow-up sees, the messages shown."""

    paper_key: str | None = None
    turns: list[Turn] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)


def escape_chat(text: str | None) -> str:
    """Paper and model text shown as text in the chat's Markdown: no HTML, links or images from it."""
    from chatpaper.ui import escape_md  # noqa: PLC0415

    return escape_md(text or "")


def where(page: int, section: str | None) -> str:
    return f"p. {page}" + (f" · {escape_chat(section)}" if section else "")


def format_quote(quote: Evidence) -> str:
    return f"> “{escape_chat(quote.quote)}”\n> — {where(quote.page, None)} · {QUOTE_STATUS[quote.status]}"


def format_passages(answer: Answer, limit: int) -> str:
    lines = []
    for hit in answer.passages[:limit]:
        text = " ".join(hit.passage.text.split())
        text = text if len(text) <= PASSAGE_CHARS else text[:PASSAGE_CHARS].rsplit(" ", 1)[0] + " …"
        lines.append(f"{hit.rank}. **{where(hit.passage.page, hit.passage.section)}**: {escape_chat(text)}")
    return "\n".join(lines)


def format_answer(answer: Answer) -> str:
    """The final answer as the chat's Markdown: the answer, then each quote with its page."""
    from chatpaper.ask.text import RETRIEVED_LABEL  # noqa: PLC0415

    parts: list[str] = []
    if answer.kind == "retrieved":
        parts.append(f"*{escape_chat(RETRIEVED_LABEL)}*")
        parts.append(format_passages(answer, SHOWN_PASSAGES + 2) or "(no passage shares a word with the question)")
    elif answer.kind == "answer":
        parts.append(escape_chat(answer.text))
        parts += [format_quote(q) for q in answer.quotes]
    else:
        parts.append(f"**{escape_chat(answer.text)}**")
        if answer.passages:
            parts.append("Nearest passages:\n" + format_passages(answer, SHOWN_PASSAGES))
    parts += [f"⚠️ {escape_chat(w)}" for w in answer.warnings]
    return "\n\n".join(p for p in parts if p)


def format_partial(text: str) -> str:
    """The answer as the model writes it, before its quotes are checked."""
    return f"{escape_chat(text)} …\n\n*(checking the quotes against the paper)*"


# --------------------------------------------------------------------------- the paper on screen


def paper_on_screen(arxiv_text: str | None, upload: str | Path | None, settings: Settings
                    ) -> tuple[Paper, Path | None]:
    """(Paper, its PDF if at hand) of the paper the Summarize request read from the same inputs."""
    from chatpaper.paper_cache import arxiv_folder, cached_paper, folder_name, pdf_folder, runs_dir  # noqa: PLC0415
    from chatpaper.ui import check_upload  # noqa: PLC0415

    runs = runs_dir(settings)
    if upload:
        paper = cached_paper(pdf_folder(hashlib.sha256(check_upload(upload, settings)).hexdigest(), settings))
        if paper is None:
            raise InvalidQuestionError(NO_PAPER)
        return paper, Path(upload)
    text = (arxiv_text or "").strip()
    if not text:
        raise InvalidQuestionError(NO_PAPER)
    from chatpaper.sources.ids import parse_arxiv_id  # noqa: PLC0415

    ref = parse_arxiv_id(text)
    if ref.version:
        folders = [arxiv_folder(ref.versioned, settings)]
    else:  # the latest version Summarize read: the highest one in the cache
        prefix = folder_name(f"arxiv-{ref.arxiv_id}") + "v"
        found = [p for p in runs.glob(f"{prefix}*") if p.name[len(prefix):].isdigit()] if runs.is_dir() else []
        folders = sorted(found, key=lambda p: int(p.name[len(prefix):]), reverse=True)
    for folder in folders:
        if (paper := cached_paper(folder)) is not None:
            from chatpaper.sources.cache import ArxivCache  # noqa: PLC0415

            version = paper.source.version or ref.version
            pdf = ArxivCache(settings.cache_dir / "arxiv").pdf_path(ref.arxiv_id, version)
            return paper, pdf if pdf.is_file() else None
    raise InvalidQuestionError(NO_PAPER)


def quote_crops(answer: Answer, pdf: Path | None, settings: Settings) -> list[tuple[str, str]]:
    """(served PNG, caption) of each verified quote's highlighted crop; [] without the PDF or crops."""
    if pdf is None or answer.kind != "answer":
        return []
    try:
        from chatpaper.evidence.crops import evidence_crop  # noqa: PLC0415
    except ImportError:  # crops not in this build: the quote and its page are shown, that is all
        return []
    from chatpaper.ui import request_dir, serve_copy  # noqa: PLC0415

    out: list[tuple[str, str]] = []
    folder = request_dir(settings)
    try:  # rendered for this request, copied into Gradio's cache, the originals removed at once
        for quote in answer.verified_quotes:
            try:
                png = evidence_crop(pdf, quote, folder=folder)
            except (ChatPaperError, OSError) as exc:
                log.info("no crop for a quote on p. %s (%s)", quote.page, exc)
                continue
            out.append((serve_copy(png), f"p. {quote.page}: “{quote.quote[:80]}”"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return out


# --------------------------------------------------------------------------- the handler


def _messages(conversation: Conversation, question: str, reply: str) -> list[dict[str, Any]]:
    return [*conversation.messages, {"role": "user", "content": escape_chat(question)},
            {"role": "assistant", "content": reply}]


def run_ask(
    question: str | None,
    conversation: Conversation | None,
    arxiv_text: str | None,
    upload: str | Path | None,
    lang: str | None,
    provider_name: str | None,
    model: str | None,
    base_url: str | None,
    api_key: str | None,
    *,
    settings: Settings,
) -> Iterator[tuple[list[dict[str, Any]], Conversation, str]]:
    """-> (chat messages, the session's conversation, a status sentence), once per streamed update."""
    from chatpaper.ask.answer import check_question, iter_ask, turn_of  # noqa: PLC0415
    from chatpaper.ui import VISITOR_SLOTS, redact  # noqa: PLC0415

    conversation = conversation or Conversation()
    shown = conversation.messages
    api_key = api_key.strip() or None if isinstance(api_key, str) else None
    slot = None
    try:
        choice = fields.ModelChoice.checked(provider_name, model, base_url, api_key)
        arxiv_text, lang = fields.arxiv_text(arxiv_text), fields.language(lang)
        paper, pdf = paper_on_screen(arxiv_text, upload, settings)
        if conversation.paper_key != paper.source.key:  # another paper: another conversation
            conversation = Conversation(paper_key=paper.source.key)
            shown = []
        text = check_question(question, conversation.turns, settings)
        messages = _messages(conversation, text, "⏳ Searching the paper…")
        yield messages, conversation, ""
        if choice.own_endpoint(settings):
            slot = VISITOR_SLOTS.take(settings)
        provider = choice.build(settings)
        written = ""
        for event in iter_ask(paper, text, provider=provider, lang=lang or settings.lang, settings=settings,
                              history=conversation.turns, cache_dir=settings.cache_dir, pdf_path=pdf):
            if isinstance(event, PassagesFound):
                found = len(event.answer.passages)
                note = f"⏳ Found {found} passages; reading them…" if found else "⏳ Reading…"
                messages = _messages(conversation, text, note)
            elif isinstance(event, AnswerDelta):
                written += event.text
                messages = _messages(conversation, text, format_partial(written))
            elif isinstance(event, AnswerDone):
                answer = event.answer
                messages = _messages(conversation, text, format_answer(answer))
                messages += [{"role": "assistant", "content": {"path": path, "alt_text": caption}}
                             for path, caption in quote_crops(answer, pdf, settings)]
                conversation = replace(conversation, turns=[*conversation.turns, turn_of(answer)],
                                       messages=messages)
            yield messages, conversation, ""
    except ChatPaperError as exc:  # the chat stays as it was; the sentence goes under it
        yield shown, conversation, f"⚠️ {escape_chat(redact(str(exc), api_key))}"
    except Exception:
        log.exception("unexpected error in the ask handler")  # the traceback goes to the log only
        yield shown, conversation, "⚠️ Something unexpected went wrong; please ask again, or pick another provider."
    finally:
        if slot is not None:
            slot.release()


def ask_chat(gr: Any, settings: Settings, *, arxiv_box: Any, upload: Any, lang: Any, provider: Any, model: Any,
             base_url: Any, api_key: Any) -> None:
    """The chat's widgets and events, placed where it is called (under the digest in the Paper tab)."""
    def handler(question, conversation, arxiv_text, upload_path, lang_code, provider_name, model_name, url, key):
        for messages, state, status in run_ask(question, conversation, arxiv_text, upload_path, lang_code,
                                               provider_name, model_name, url, key, settings=settings):
            yield messages, state, status, gr.skip() if status else ""

    def clear(conversation):
        return [], Conversation(), ""

    with gr.Group(elem_id="cp-ask"):
        gr.Markdown("### Ask the paper\nAnswers come from the paper on screen, each with the quotes it rests on "
                    f"(checked against the paper). Up to {settings.ask_max_turns} questions per conversation.")
        chatbot = gr.Chatbot(label="Ask the paper", height=420, elem_id="cp-ask-chat", sanitize_html=True,
                             latex_delimiters=[], feedback_options=None, allow_tags=False)
        with gr.Row():
            question = gr.Textbox(label="Question", placeholder=PLACEHOLDER, lines=1, scale=5,
                                  max_length=settings.ask_max_question_chars, elem_id="cp-ask-question")
            ask_button = gr.Button("Ask", variant="primary", scale=1, elem_id="cp-ask-go")
            clear_button = gr.Button("Clear", scale=1, elem_id="cp-ask-clear")
        status = gr.Markdown(elem_id="cp-ask-status", sanitize_html=True, latex_delimiters=[])
        conversation = gr.State(Conversation())  # per session, in memory only
    inputs = [question, conversation, arxiv_box, upload, lang, provider, model, base_url, api_key]
    outputs = [chatbot, conversation, status, question]
    lanes = dict(concurrency_id="ask", concurrency_limit=settings.max_concurrency + settings.max_visitor_endpoints)
    ask_button.click(handler, inputs, outputs, api_name="ask", **lanes)
    question.submit(handler, inputs, outputs, api_visibility="private", **lanes)
    clear_button.click(clear, [conversation], [chatbot, conversation, status], api_name="ask_clear")


"""A question about one paper -> a stream of typed events ending in an Answer whose quotes were checked.

    for event in iter_ask(paper, "What dataset do they train on?", provider=p, lang="en", settings=s):
        PassagesFound (retrieval done) -> AnswerDelta* (the answer as the model writes it) -> AnswerDone

The model sees the question, the conversation so far (within HISTORY_TOKENS, oldest turns dropped
first) and the best passages, fenced as data (chatpaper.ask.prompts). Its reply is JSON (AskReply);
every quote is verified against the paper exactly as a digest point's (chatpaper.evidence), and the
answer stands only when at least one verified quote that is not an instruction printed in the paper
supports it. Otherwise the reader gets "The paper does not say" in their language, with the nearest
passages: when the model says so (`answerable: false`), when no passage shares a word with the
question, when no quote is in the paper, or when the answer does what text inside the paper told it
to. Without a model (the offline provider) the answer *is* the retrieved passages, labelled as such.
Bad input is one `InvalidQuestionError` sentence; a provider's failure one `ProviderError` sentence.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from rapidfuzz import fuzz

from chatpaper.ask import prompts
from chatpaper.ask.index import PassageIndex, paper_index
from chatpaper.ask.models import (
    Answer,
    AnswerDelta,
    AnswerDone,
    AskEvent,
    AskReply,
    Declined,
    Hit,
    PassagesFound,
    Turn,
)
from chatpaper.ask.stream import AnswerTextStream
from chatpaper.chain.budget import count_tokens
from chatpaper.chain.guards import parse_reply
from chatpaper.chain.prompts import base_lang
from chatpaper.chain.runner import StageRunner
from chatpaper.errors import InvalidQuestionError, ProviderError
from chatpaper.evidence.normalise import normalise
from chatpaper.evidence.verify import PageIndex, verify_evidence
from chatpaper.llm.base import LLMRequest, Provider
from chatpaper.models import Evidence, Paper
from chatpaper.settings import Settings

OFFLINE_PASSAGES = 5  # what a reader can scan in one screen; recall@5 is measured on the question set
ASK_PASSAGES = 5  # what the model reads: recall@5 >= 0.9 on the question set, ~1.5k tokens at most
# The conversation a follow-up sees: enough for the last few exchanges, small beside the passages,
# so a long conversation never pushes the paper out of a small model's window.
HISTORY_TOKENS = 1500
HISTORY_SHARE = 0.25  # ... and never more than this share of the provider's context window
# What a conversation keeps of one answer: a long answer's start is enough context for a follow-up.
TURN_ANSWER_CHARS = 1000
MAX_QUOTES = 3  # the prompt asks for one to three; more would be a model copying the passages out
ASK_MAX_OUTPUT_TOKENS = 1024  # an answer of a paragraph and three quotes fits with room to spare
# An instruction's dictated words must be this long (key characters) before repeating them counts:
# "yes" repeated proves nothing, "the paper was retracted" does.
MIN_PAYLOAD_KEY = 10
PAYLOAD_SIMILARITY = 90.0  # rapidfuzz partial ratio from which an answer repeats a dictated phrase

# "The paper does not say", in the app's languages (others get the English sentence).
NOT_IN_PAPER: dict[str, str] = {
    "en": "The paper does not say.",
    "zh": "论文中没有提到这一点。",
    "ja": "論文にはその記述がありません。",
    "ko": "논문에는 그에 관한 내용이 없습니다.",
    "fr": "L'article ne le dit pas.",
    "de": "Das steht nicht im Paper.",
    "es": "El artículo no lo dice.",
    "pt": "O artigo não diz isso.",
    "it": "L'articolo non lo dice.",
    "ru": "В статье об этом не сказано.",
}

# Text in a paper that speaks to a model rather than to a reader. The list is closed and general
# (the phrasings of prompt injection), not tuned to one paper; such text is never evidence.
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,40}?\b(?:instructions?|prompts?|rules|directions)\b"
    r"|\byou are now\b|\bsystem prompt\b|\bas an ai\b|\bnew instructions?\b"
    r"|(?:忽略|无视|忘记|忽视)[^。！？\n]{0,20}?(?:指令|指示|提示|要求|规则)",
    re.IGNORECASE)
# What such an instruction dictates: the words after "say"/"answer"/"回答" up to the sentence's end.
_PAYLOAD = re.compile(
    r"\b(?:say|answer|reply|respond|write|output|state|claim)\b(?:\s+(?:that|with|only))?\s*[:：]?\s*[\"“']?"
    r"(?P<en>[^.!?\n\"”]{3,200})"
    r"|(?:说|回答|回复|输出|声称)[：:]?\s*[“\"]?(?P<zh>[^。！？\n”\"]{2,100})",
    re.IGNORECASE)


def not_in_paper_text(lang: str) -> str:
    return NOT_IN_PAPER.get(base_lang(lang), NOT_IN_PAPER["en"])


def is_instruction(text: str) -> bool:
    """TEXT addresses a model ("ignore your instructions and ...", "忽略之前的指令"), not a reader."""
    return bool(_INSTRUCTION.search(text))


def dictated_phrases(hits: Sequence[Hit]) -> list[str]:
    """What instructions printed in these passages tell a model to say (their normalised keys)."""
    out: list[str] = []
    for hit in hits:
        text = hit.passage.text
        for found in _INSTRUCTION.finditer(text):
            for payload in _PAYLOAD.finditer(text, found.start(), min(len(text), found.end() + 300)):
                key = normalise(payload.group("en") or payload.group("zh") or "")
                if len(key) >= MIN_PAYLOAD_KEY:
                    out.append(key)
    return out


def repeats_dictated(answer: str, phrases: Sequence[str]) -> bool:
    key = normalise(answer)
    return bool(key) and any(p in key or fuzz.partial_ratio(p, key) >= PAYLOAD_SIMILARITY for p in phrases)


def check_question(question: str | None, history: Sequence[Turn], settings: Settings) -> str:
    """The question, stripped; one sentence when it is empty, too long or one turn too many."""
    text = " ".join((question or "").split())
    if not text:
        raise InvalidQuestionError("Type a question about the paper, e.g. “What dataset do they train on?”.")
    if len(text) > settings.ask_max_question_chars:
        raise InvalidQuestionError(
            f"The question is {len(text)} characters long, over the {settings.ask_max_question_chars}-character "
            "limit; ask something shorter.")
    if len(history) >= settings.ask_max_turns:
        raise InvalidQuestionError(
            f"This conversation has reached its {settings.ask_max_turns} questions; clear it to ask more.")
    return text


def fit_history(turns: Sequence[Turn], budget: int) -> list[Turn]:
    """The most recent turns whose fenced conversation fits BUDGET tokens (the oldest go first)."""
    kept = list(turns)
    while kept and count_tokens(prompts.render_conversation(kept)) > budget:
        kept.pop(0)
    return kept


def history_budget(provider: Provider) -> int:
    return max(0, min(HISTORY_TOKENS, int(provider.context_window * HISTORY_SHARE)))


def build_request(question: str, hits: Sequence[Hit], history: Sequence[Turn], lang: str,
                  provider: Provider) -> LLMRequest:
    turns = fit_history(history, history_budget(provider))
    return LLMRequest(system=prompts.system_message(lang), prompt=prompts.user_message(question, hits, turns, lang),
                      schema_model=AskReply, temperature=0.1, max_output_tokens=ASK_MAX_OUTPUT_TOKENS)


def _search(index: PassageIndex, question: str, history: Sequence[Turn], k: int) -> list[Hit]:
    hits = index.search(question, k=k)
    if not hits and history:  # "and why?" shares no word with the paper: read it with the last question
        hits = index.search(f"{history[-1][0]} {question}", k=k)
    return hits


def _declined(found: Answer, why: Declined, lang: str, warning: str | None = None) -> Answer:
    return found.model_copy(update={"kind": "not_in_paper", "text": not_in_paper_text(lang), "declined": why,
                                    "quotes": [], "warnings": [warning] if warning else []})


def locate_quotes(quotes: list[Evidence], pdf_path: Path | None) -> list[Evidence]:
    """Verified quotes with their rectangles on the page (for a highlighted crop), when the PDF is at hand."""
    if pdf_path is None or not any(q.status != "unverified" for q in quotes):
        return quotes
    import pymupdf  # noqa: PLC0415

    from chatpaper.evidence.boxes import locate_boxes  # noqa: PLC0415
    from chatpaper.reading import PDF_LOCK  # noqa: PLC0415

    out = []
    try:
        with PDF_LOCK, pymupdf.open(pdf_path) as doc:
            for q in quotes:
                if q.status != "unverified" and 1 <= q.page <= doc.page_count:
                    q = q.model_copy(update={"boxes": locate_boxes(doc[q.page - 1], q.quote)})
                out.append(q)
    except (OSError, RuntimeError, ValueError):  # no boxes is a plainer answer, not a failed one
        return quotes
    return out


def judge(reply: AskReply, found: Answer, pages: PageIndex, lang: str) -> Answer:
    """The model's reply -> the Answer a reader sees: an answer with verified quotes, or "does not say"."""
    if not reply.answerable or not reply.answer.strip():
        return _declined(found, "model", lang)
    quotes = [verify_evidence(Evidence(page=q.page if q.page >= 1 else 1, quote=q.quote), pages)
              for q in reply.quotes[:MAX_QUOTES] if q.quote.strip()]
    verified = [q for q in quotes if q.status != "unverified"]
    support = [q for q in verified if not is_instruction(q.quote)]
    if (verified and not support) or repeats_dictated(reply.answer, dictated_phrases(found.passages)):
        return _declined(found, "instruction", lang,
                         "The model's answer followed instructions printed in the paper, so it is not shown; "
                         "text in a paper is never an instruction.")
    if not support:
        return _declined(found, "unverified", lang,
                         "The model's answer is not shown: none of the quotes it gave is in the paper.")
    warnings = []
    if len(support) < len(quotes):
        warnings.append(f"{len(quotes) - len(support)} of the answer's {len(quotes)} quotes could not be found "
                        "in the paper; they are marked as unverified.")
    if len(reply.quotes) > MAX_QUOTES:
        warnings.append(f"The model gave {len(reply.quotes)} quotes; the first {MAX_QUOTES} were checked.")
    return found.model_copy(update={"kind": "answer", "text": reply.answer.strip(), "quotes": quotes,
                                    "warnings": warnings})


def _reply(provider: Provider, request: LLMRequest, lang: str) -> Iterator[AnswerDelta | AskReply]:
    """Stream the reply (yielding the answer's text as it grows), then the parsed AskReply.

    A reply that is not the JSON asked for gets one corrective retry (not streamed); a second miss is a
    ProviderError sentence."""
    decoder = AnswerTextStream()
    pieces: list[str] = []
    for piece in provider.stream(request):
        pieces.append(piece)
        if new := decoder.feed(piece):
            yield AnswerDelta(text=new)
    text = "".join(pieces)
    parsed, issue = parse_reply(text, AskReply)
    if parsed is None and issue is not None:
        retry = request.model_copy(update={"history": [("assistant", text[:4000]),
                                                       ("user", prompts.correction_message(issue.message, lang))]})
        parsed, issue = parse_reply(provider.generate(retry).text, AskReply)
    if parsed is None:
        raise ProviderError("The model's reply was not the answer format asked for, twice; ask again or pick "
                            "another model.")
    assert isinstance(parsed, AskReply)
    yield parsed


def iter_ask(
    paper: Paper,
    question: str,
    *,
    provider: Provider | StageRunner,
    lang: str,
    settings: Settings,
    history: Sequence[Turn] = (),
    index: PassageIndex | None = None,
    cache_dir: Path | None = None,
    pdf_path: Path | None = None,
    pages: PageIndex | None = None,
) -> Iterator[AskEvent]:
    """Retrieve, then answer. `index` is the paper's (built here, and cached under cache_dir, when None);
    `pdf_path` locates the quotes' boxes on their pages; `pages` is the paper's PageIndex if already built."""
    text = check_question(question, history, settings)
    lang = lang or settings.lang
    index = index or paper_index(paper, cache_dir=cache_dir)
    extractive = not isinstance(provider, Provider)  # a stage runner (offline) has no model to ask
    hits = _search(index, text, history, OFFLINE_PASSAGES if extractive else ASK_PASSAGES)
    found = Answer(question=text, kind="retrieved", text="", passages=hits, lang=lang, provider=provider.name,
                   model=provider.model, prompt_version=None if extractive else prompts.ASK_PROMPT_VERSION)
    yield PassagesFound(answer=found)
    if not isinstance(provider, Provider):
        warnings = [] if hits else ["No passage of the paper shares a word with the question; try other words."]
        yield AnswerDone(answer=found.model_copy(update={"warnings": warnings}))
        return
    if not hits:  # nothing to read: no model call, and never a guess
        yield AnswerDone(answer=_declined(found, "no_passages", lang,
                                          "No passage of the paper shares a word with the question."))
        return
    request = build_request(text, hits, history, lang, provider)
    # Passages that speak to a model: the answer is shown only once checked, never while it is written.
    hold_back = any(is_instruction(hit.passage.text) for hit in hits)
    reply: AskReply | None = None
    for item in _reply(provider, request, lang):
        if isinstance(item, AnswerDelta):
            if not hold_back:
                yield item
        else:
            reply = item
    assert reply is not None
    answer = judge(reply, found, pages or PageIndex(paper.page_texts), lang)
    yield AnswerDone(answer=answer.model_copy(update={"quotes": locate_quotes(answer.quotes, pdf_path)}))


def ask(paper: Paper, question: str, **kwargs) -> Answer:
    """The final Answer of `iter_ask`."""
    for event in iter_ask(paper, question, **kwargs):
        if isinstance(event, AnswerDone):
            return event.answer
    raise AssertionError("iter_ask always ends with an AnswerDone")  # pragma: no cover


def turn_of(answer: Answer) -> Turn:
    """What a follow-up sees of this exchange: the question and the answer's text (offline: the best passage)."""
    said = answer.text or (answer.passages[0].passage.text if answer.passages else not_in_paper_text(answer.lang))
    return answer.question, said[:TURN_ANSWER_CHARS]

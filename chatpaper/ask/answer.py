"""A question about one paper -> an Answer: the best passages, then (with a model) an answer resting on quotes.

`iter_ask` yields ("passages", Answer) as soon as retrieval is done (the app shows them while the model
thinks), then ("answer", Answer) once. Without a model (the offline provider) the answer *is* the
retrieved passages, labelled as such. Bad input is one `InvalidQuestionError` sentence.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from chatpaper.ask.index import PassageIndex, paper_index
from chatpaper.ask.models import Answer, Turn
from chatpaper.errors import InvalidQuestionError
from chatpaper.llm.base import Provider
from chatpaper.models import Paper
from chatpaper.settings import Settings

OFFLINE_PASSAGES = 5  # what a reader can scan in one screen; recall@5 is measured on the question set

AskEvent = tuple[str, Answer]


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


def iter_ask(
    paper: Paper,
    question: str,
    *,
    provider: Provider,
    lang: str,
    settings: Settings,
    history: Sequence[Turn] = (),
    index: PassageIndex | None = None,
    cache_dir: Path | None = None,
) -> Iterator[AskEvent]:
    """Retrieve, then answer. `index` is the paper's (built here, and cached under cache_dir, when None)."""
    text = check_question(question, history, settings)
    index = index or paper_index(paper, cache_dir=cache_dir)
    hits = index.search(text, k=OFFLINE_PASSAGES)
    found = Answer(question=text, kind="retrieved", text="", passages=hits, lang=lang, provider=provider.name,
                   model=provider.model)
    yield "passages", found
    if getattr(provider, "extractive", False):
        warnings = [] if hits else ["No passage of the paper shares a word with the question; try other words."]
        yield "answer", found.model_copy(update={"warnings": warnings})
        return
    raise NotImplementedError("answers written by a model need the evidence verifier")  # pragma: no cover


def ask(paper: Paper, question: str, **kwargs) -> Answer:
    """The final Answer of `iter_ask`."""
    answer = None
    for event, answer in iter_ask(paper, question, **kwargs):
        if event == "answer":
            return answer
    assert answer is not None
    return answer

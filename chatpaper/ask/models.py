"""Typed data of "Ask the paper": passages, retrieval hits and answers. No I/O here."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chatpaper.models import Evidence, PageNo


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Passage(_Model):
    """A paragraph of the paper's text (or a figure caption) with where it is printed."""

    id: str = Field(description='Stable within one paper version, e.g. "p3-2" (page 3, third passage)')
    kind: Literal["paragraph", "caption"] = "paragraph"
    page: PageNo = Field(description="The page the passage is printed on (passages never cross a page)")
    section: str | None = Field(None, description="Title of the section it belongs to, None before the first")
    text: str


class Hit(_Model):
    """One retrieved passage and its BM25 score."""

    passage: Passage
    score: float
    rank: int = Field(description="1-based")


Turn = tuple[str, str]  # (question, answer text) of an earlier exchange in the same conversation


# Why an answer is "the paper does not say": the model said so; no passage shares a word with the
# question; none of the model's quotes is in the paper; or the answer does what an instruction printed
# in the paper asks (its quotes are that instruction, or it repeats what the instruction dictates).
Declined = Literal["model", "no_passages", "unverified", "instruction"]


class Answer(_Model):
    """The reply to one question: written by a model from the paper, or the retrieved passages themselves."""

    question: str
    kind: Literal["answer", "not_in_paper", "retrieved"] = Field(
        description="answer: a model's answer with quotes; not_in_paper: the paper does not say; "
        "retrieved: offline, the best passages themselves"
    )
    text: str = Field(description="The answer in the reader's language (empty for retrieved passages)")
    passages: list[Hit] = Field(default_factory=list, description="What retrieval found, best first")
    lang: str = "en"
    provider: str | None = None
    model: str | None = None
    quotes: list[Evidence] = Field(default_factory=list, description="The quotes the answer rests on, each checked "
                                   "against the paper (status, page corrected, boxes when the PDF was at hand)")
    declined: Declined | None = Field(None, description="For not_in_paper: what decided it")
    prompt_version: str | None = None
    warnings: list[str] = Field(default_factory=list)

    @property
    def verified_quotes(self) -> list[Evidence]:
        return [q for q in self.quotes if q.status != "unverified"]



class ReplyQuote(_Model):
    page: int = Field(description="The page of the passage the quote is copied from")
    quote: str = Field(description="Verbatim from that passage, at most about 40 words")


class AskReply(BaseModel):
    """The JSON a model replies with (unknown keys are ignored: a model's extra field is no failure)."""

    answerable: bool = Field(description="False when the passages do not answer the question")
    answer: str = Field("", description="The answer in the reader's language; empty when not answerable")
    quotes: list[ReplyQuote] = Field(default_factory=list, description="One to three verbatim quotes")


# --------------------------------------------------------------------------- the stream of one question


class PassagesFound(_Model):
    """Retrieval is done: the best passages, before any model writes a word."""

    kind: Literal["passages"] = "passages"
    answer: Answer


class AnswerDelta(_Model):
    """More of the answer's text as the model writes it (not yet checked: the final Answer is)."""

    kind: Literal["delta"] = "delta"
    text: str


class AnswerDone(_Model):
    """The final Answer, its quotes verified: what to show and to keep in the conversation."""

    kind: Literal["answer"] = "answer"
    answer: Answer


AskEvent = PassagesFound | AnswerDelta | AnswerDone

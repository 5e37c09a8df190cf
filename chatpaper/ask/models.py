"""Typed data of "Ask the paper": passages, retrieval hits and answers. No I/O here."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chatpaper.models import PageNo


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
    prompt_version: str | None = None
    warnings: list[str] = Field(default_factory=list)

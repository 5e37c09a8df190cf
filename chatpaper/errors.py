"""The few typed errors a user can cause. Each carries one sentence: what happened, what to do.

Callers show `str(error)` to users; tracebacks are for logs only.
"""
from __future__ import annotations

import re

# How a user picks another model, in the app's words (the library speaks to a visitor; for_cli rewords it).
ANOTHER_MODEL = "type another in the Model box, or leave it empty for the provider's default."

# Visitor wording -> command-line wording: the same error, told to whoever caused it.
_CLI_WORDING: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"upload the paper's PDF file(?: again)?|upload the paper as a PDF"), "give the path of the paper's PDF file"),
    (re.compile(r"upload a smaller PDF"), "use a smaller PDF or raise CHATPAPER_MAX_PDF_BYTES"),
    (re.compile(r"upload a \.pdf file or paste an arXiv ID"), "give a .pdf file or an arXiv ID"),
    (re.compile(r"upload the PDF(?: itself| yourself)?(?: instead)?"), "download the PDF and give its path instead"),
    (re.compile(r",? or paste a (?:valid )?key"), ""),
    (re.compile(r"paste a key, or "), "or "),
    (re.compile(re.escape(ANOTHER_MODEL)), "choose another with --model, or leave it out for the provider's default."),
)


def for_cli(message: str) -> str:
    """An error sentence worded for the command line: no "upload", "paste" or "box" (those are the app's)."""
    for pattern, replacement in _CLI_WORDING:
        message = pattern.sub(replacement, message)
    return message


class ChatPaperError(Exception):
    """Base class: `message` is the one sentence a user sees (what happened, what to do)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidSourceError(ChatPaperError):
    """Not an arXiv ID/URL we accept, or not a file we can read."""


class PaperNotFoundError(ChatPaperError):
    """arXiv has no such paper (unknown ID, missing version, withdrawn)."""


class FetchError(ChatPaperError):
    """arXiv could not be reached or answered with an error (429, 5xx, timeout)."""


class NoNetworkError(FetchError):
    """arXiv's name did not resolve or the connection was refused: no network here, so no retry."""


class PdfError(ChatPaperError):
    """The PDF cannot be read: not a PDF, empty, encrypted, damaged, scanned or too large."""


class ProviderError(ChatPaperError):
    """The LLM provider failed: missing key, auth, rate limit, timeout, bad reply."""


class StorageError(ChatPaperError):
    """A folder we must write (the cache, an --out folder) is not writable, not a folder, or on a full disk."""


class FieldError(ChatPaperError):
    """A field typed in the app (or given on the command line) is too long or holds characters it cannot."""


class InvalidQuestionError(ChatPaperError):
    """A question to ask the paper that is empty, too long, or over the conversation's limits."""

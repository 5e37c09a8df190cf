"""ChatPaper: a research paper (arXiv ID or PDF) -> a faithful, structured digest beside its figures.

Data flows one way: sources -> pdf (Paper) -> chain (Digest) -> render -> ui.

The calls a library user needs, the same ones the CLI and the app make:

    paper = chatpaper.read("2405.15619")              # or a PDF path or bytes; cached per source and parser
    provider = chatpaper.get_provider("auto")           # chatpaper.chosen_provider says which, without building it
    digest = chatpaper.summarize(paper, provider=provider, lang="en")
    chatpaper.write_digest(digest, Path("out"))         # digest.md and digest.json
    run = chatpaper.run_digest(chatpaper.DigestRequest(query="Diffusion Models", out=Path("posts")))

`iter_read` and `iter_digest` are the same two steps as streams of events (the app shows them as they come).
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from chatpaper.errors import ChatPaperError
from chatpaper.models import Digest, Figure, Paper, Paragraph, Section, SectionRole
from chatpaper.settings import Settings

if TYPE_CHECKING:
    from chatpaper.batch import DigestRequest, run_digest
    from chatpaper.chain import iter_digest, summarize
    from chatpaper.llm.registry import chosen_provider, get_provider
    from chatpaper.reading import iter_read, read
    from chatpaper.render import write_digest

__version__ = "0.1.0"

# Loaded on first use: `import chatpaper` stays light (no PyMuPDF, no LLM SDKs, no HTTP client).
_LAZY = {
    "read": "chatpaper.reading", "iter_read": "chatpaper.reading",
    "summarize": "chatpaper.chain", "iter_digest": "chatpaper.chain",
    "get_provider": "chatpaper.llm.registry", "chosen_provider": "chatpaper.llm.registry",
    "write_digest": "chatpaper.render",
    "run_digest": "chatpaper.batch", "DigestRequest": "chatpaper.batch",
}
__all__ = ["ChatPaperError", "Digest", "DigestRequest", "Figure", "Paper", "Paragraph", "Section", "SectionRole",
           "Settings", "__version__",
           "chosen_provider", "get_provider", "iter_digest", "iter_read", "read", "run_digest", "summarize",
           "write_digest"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)

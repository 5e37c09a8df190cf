"""Where papers come from: arXiv IDs and links, arXiv metadata, PDF downloads, search, the on-disk cache,
and the one check of a local PDF (`sources.local`).

The names below load on first use: the parser imports `sources.local` and should not pay for the
arXiv client and requests it never uses.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chatpaper.sources.arxiv import ArxivSource, shared_client
    from chatpaper.sources.cache import ArxivCache
    from chatpaper.sources.ids import ArxivRef, parse_arxiv_id

_WHERE = {"ArxivSource": "arxiv", "shared_client": "arxiv", "ArxivCache": "cache", "ArxivRef": "ids",
          "parse_arxiv_id": "ids"}
__all__ = ["ArxivCache", "ArxivRef", "ArxivSource", "parse_arxiv_id", "shared_client"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"chatpaper.sources.{_WHERE[name]}"), name)

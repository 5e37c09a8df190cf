"""Where papers come from: arXiv IDs and links, arXiv metadata, PDF downloads, search, the on-disk cache."""
from chatpaper.sources.arxiv import ArxivSource, shared_client
from chatpaper.sources.cache import ArxivCache
from chatpaper.sources.ids import ArxivRef, parse_arxiv_id

__all__ = ["ArxivCache", "ArxivRef", "ArxivSource", "parse_arxiv_id", "shared_client"]

"""ChatPaper: a research paper (arXiv ID or PDF) -> a faithful, structured digest beside its figures.

Data flows one way: sources -> pdf (Paper) -> chain (Digest) -> render -> ui.
"""
from chatpaper.errors import ChatPaperError
from chatpaper.models import Digest, Figure, Paper, Section
from chatpaper.settings import Settings

__version__ = "0.1.0"
__all__ = ["ChatPaperError", "Digest", "Figure", "Paper", "Section", "Settings", "__version__"]

"""Ask the paper: follow-up questions answered from the paper, every answer with verified quotes.

paper -> passages (paragraphs with section and page, figure captions) -> BM25 index (cached per paper
version) -> the question's best passages -> an answer whose quotes are checked against the paper.
"""
from chatpaper.ask.index import PassageIndex, paper_index
from chatpaper.ask.models import Answer, Hit, Passage
from chatpaper.ask.passages import paper_passages

__all__ = ["Answer", "Hit", "Passage", "PassageIndex", "paper_index", "paper_passages"]

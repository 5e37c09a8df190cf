"""The extractive summariser: a digest whose every point is a sentence quoted from the paper.

    from chatpaper.extractive import ExtractiveRunner
    digest = summarize(paper, provider=ExtractiveRunner())  # what `--provider offline` runs
"""
from chatpaper.extractive.runner import ExtractiveRunner

__all__ = ["ExtractiveRunner"]

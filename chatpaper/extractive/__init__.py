"""The extractive summariser: a digest whose every point is a sentence quoted from the paper.

    from chatpaper.extractive import ExtractiveRunner
    digest = summarize(paper, provider=ExtractiveRunner())  # what `--provider offline` runs

The flow inside: sentences (the paper as quotable sentences with pages and section roles) -> cues
(what each sentence says) -> picker (which sentence each field quotes) -> stages (the four stages
at once) -> runner (the chain's StageRunner); keywords and language serve the metadata stage.
"""
from chatpaper.extractive.runner import ExtractiveRunner
from chatpaper.extractive.stages import ExtractiveDigest, extract_digest

__all__ = ["ExtractiveDigest", "ExtractiveRunner", "extract_digest"]

"""`ExtractiveRunner`: the "offline" choice, a digest built from the paper's own sentences.

No model, no network, no key: the default on a fresh machine. The chain runs it like any stage
runner (chatpaper.chain.runner.QuotingRunner); it builds all four stages of a paper at once, so
that no sentence is quoted by two fields where another is left, and keeps them for the other stages.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

from chatpaper.chain.cache import paper_cache_key
from chatpaper.chain.runner import QuotingRunner
from chatpaper.extractive.stages import ExtractiveDigest, StageResult, extract_digest
from chatpaper.models import Paper

# Papers whose digests are kept: the chain asks for four stages of one paper, a batch runs a few at once.
DIGESTS_KEPT = 8


class ExtractiveRunner(QuotingRunner):
    """Builds each stage from the paper's own sentences; it never sends a prompt."""

    name = "offline"
    model = "extractive"
    version = "15"  # of the extraction rules; part of the chain's cache key

    def __init__(self) -> None:
        self._digests: OrderedDict[str, ExtractiveDigest] = OrderedDict()
        self._lock = threading.Lock()

    def build_stage(self, paper: Paper, stage: str) -> StageResult:
        return self.digest(paper).stage(stage)

    def digest(self, paper: Paper) -> ExtractiveDigest:
        """All four stages of `paper`, built once (the stages may ask from their threads at the same time)."""
        key = paper_cache_key(paper)  # the chain's fingerprint of what the stages read
        with self._lock:  # built under the lock: concurrent stages of one paper wait instead of redoing it
            found = self._digests.get(key)
            if found is None:
                found = self._digests[key] = extract_digest(paper)
                while len(self._digests) > DIGESTS_KEPT:
                    self._digests.popitem(last=False)
            self._digests.move_to_end(key)
            return found

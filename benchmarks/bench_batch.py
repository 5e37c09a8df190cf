"""Batch digest: concurrency gain and rate-limit adherence, measured in one run (prints only).

The fake provider answers every LLM call after a fixed latency L. On 12 corpus papers:
  1. sequential: the 12 papers one after another (workers=1) -> 12 x the per-paper time;
  2. batch: the same 12 in the bounded pool (--workers) -> wall time, and the ratio to 1.;
  3. paced: the batch again with a rate limit (--rpm) -> achieved requests per minute against it.
Each run has its own empty cache, so every run parses every PDF and makes every LLM call.

    .venv/bin/python benchmarks/bench_batch.py [--latency 2] [--workers 4] [--rpm 60] [--verbose]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the test double, fake_llm

from fake_llm import ScriptedProvider, canned_reply  # noqa: E402

from chatpaper.batch import DigestRequest, PaperProgress, run_digest  # noqa: E402
from chatpaper.pacing import RateLimiter  # noqa: E402
from chatpaper.settings import Settings  # noqa: E402

CORPUS_PDFS = ROOT.parent / "shared" / "corpus" / "pdfs"
# Twelve corpus papers of ordinary length (the 84-page monograph and the damaged copy left out).
PAPERS = [
    "1212.5701.pdf", "1412.6980.pdf", "1503.02531.pdf", "1605.09507.pdf", "1606.01039.pdf", "1608.03417.pdf",
    "1704.08729.pdf", "1706.08606.pdf", "2210.04628.pdf", "2501.17811.pdf", "2406.05946.pdf",
    "paraphrase-identification-via-textual-inference.pdf",
]


class TimedProvider(ScriptedProvider):
    """Records when each call reaches the provider, so pacing is measured there, not by the limiter."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.started: list[float] = []

    def generate(self, request):
        self.started.append(time.monotonic())
        return super().generate(request)


def one_run(pdf_dir: Path, work: Path, name: str, *, latency: float, workers: int,
            limiter: RateLimiter | None = None, verbose: bool = False) -> tuple[float, TimedProvider, int]:
    provider = TimedProvider(lambda request: canned_reply(request, lang="en"), latency=latency)
    settings = Settings(cache_dir=work / name / "cache")
    request = DigestRequest(pdf_dir=pdf_dir, topic="bench", lang="en", workers=workers, out=work / name / "posts")
    start = time.perf_counter()
    def progress(event: PaperProgress) -> None:
        print(f"[{event.job.index}/{event.total}] {event.job.label[:70]}: {event.step}", file=sys.stderr)

    result = run_digest(request, settings=settings, provider=provider, limiter=limiter,
                        on_progress=progress if verbose else None)
    return time.perf_counter() - start, provider, result.written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, default=2.0, help="seconds per fake LLM call (L)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rpm", type=float, default=60.0, help="rate limit for the paced run")
    parser.add_argument("--verbose", action="store_true", help="per-paper progress on stderr")
    args = parser.parse_args()
    if not CORPUS_PDFS.is_dir():
        print(f"skipped: {CORPUS_PDFS} is absent (the corpus lives beside the repository)")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pdf_dir = work / "pdfs"
        pdf_dir.mkdir()
        for name in PAPERS:  # links, never copies
            (pdf_dir / name).symlink_to(CORPUS_PDFS / name)
        n = len(PAPERS)
        print(f"bench_batch: {n} corpus papers, fake provider latency L={args.latency:g} s, "
              f"workers={args.workers}, rate limit {args.rpm:g} rpm")

        seq, seq_provider, seq_ok = one_run(pdf_dir, work, "sequential", latency=args.latency, workers=1,
                                               verbose=args.verbose)
        per_paper = seq / n
        print(f"sequential (workers=1): {seq:7.2f} s = {n} x {per_paper:.2f} s per paper; "
              f"{seq_provider.calls} LLM calls, {seq_ok}/{n} papers written")

        wall, batch_provider, ok = one_run(pdf_dir, work, "batch", latency=args.latency, workers=args.workers,
                                               verbose=args.verbose)
        print(f"batch (workers={args.workers}):     {wall:7.2f} s wall; {wall / seq:.2f} x the sequential time "
              f"({seq / wall:.2f}x faster); at most {batch_provider.max_in_flight} LLM calls in flight; "
              f"{ok}/{n} papers written")

        limiter = RateLimiter(args.rpm)
        paced, paced_provider, ok = one_run(pdf_dir, work, "paced", latency=args.latency, workers=args.workers,
                                            limiter=limiter, verbose=args.verbose)
        slots = sorted(paced_provider.started)  # call starts as the provider saw them
        span = slots[-1] - slots[0] if len(slots) > 1 else 0.0
        achieved = (len(slots) - 1) / span * 60 if span else float("nan")
        busiest = max(sum(1 for u in slots if t <= u < t + 60) for t in slots) if slots else 0
        busiest10 = max(sum(1 for u in slots if t <= u < t + 10) for t in slots) if slots else 0
        gaps = [b - a for a, b in pairwise(slots)]
        print(f"paced (rpm={args.rpm:g}):        {paced:7.2f} s wall; {len(slots)} LLM calls over {span:.1f} s "
              f"-> {achieved:.1f} rpm = {achieved / args.rpm:.0%} of the limit; busiest 60 s window "
              f"{busiest} calls (limit {args.rpm:g}); busiest 10 s window {busiest10} (limit {args.rpm / 6:g}); "
              f"smallest gap {min(gaps, default=0):.3f} s "
              f"(limit {60 / args.rpm:.3f} s); {ok}/{n} papers written")
        print(f"paced, whole run:      {len(slots) / paced * 60:.1f} rpm averaged over the wall time "
              f"(parsing and the last replies included) = {len(slots) / paced * 60 / args.rpm:.0%} of the limit")
    return 0


if __name__ == "__main__":
    sys.exit(main())

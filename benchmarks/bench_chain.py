"""The digest chain on a corpus paper with a fake provider at a fixed latency L per call (prints, never asserts).

Measured in one run:
  - wall time of the chain against the sum of its stage latencies (target <= 1.5 L + parse time);
  - tokens sent per stage, and the share of the method section's text that reaches Methods,
    for several context windows (target: all of it, up to the budget);
  - a cache hit's time (target < 0.3 s);
  - the offline provider's time per paper (when chatpaper.extractive is importable).

    .venv/bin/python benchmarks/bench_chain.py [--pdf 1212.5701.pdf] [--latency 0.5] [--offline-papers 3]
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the test double, fake_llm

from fake_llm import ScriptedProvider, canned_reply  # noqa: E402

from chatpaper.chain import DigestCache, plan_budget, summarize  # noqa: E402
from chatpaper.chain.cache import CACHE_FILE  # noqa: E402
from chatpaper.reading import read_paper  # noqa: E402
from chatpaper.settings import Settings  # noqa: E402

CORPUS_PDFS = ROOT.parent / "shared" / "corpus" / "pdfs"
OFFLINE_PAPERS = ["1212.5701.pdf", "1503.02531.pdf", "1706.08606.pdf", "2406.05946.pdf", "1412.6980.pdf"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pdf", default="1212.5701.pdf", help="a file in ../shared/corpus/pdfs")
    ap.add_argument("--latency", type=float, default=0.5, help="L, seconds per fake LLM call")
    ap.add_argument("--offline-papers", type=int, default=3)
    args = ap.parse_args()

    pdf = CORPUS_PDFS / args.pdf
    if not pdf.exists():
        print(f"skip: {pdf} is absent (the shared corpus is needed)")
        return 0
    work = Path(tempfile.mkdtemp(prefix="bench-chain-"))
    settings = Settings(cache_dir=work / "cache")
    L = args.latency

    started = time.perf_counter()
    paper = read_paper(pdf, out_dir=work / "out", settings=settings)
    parse = time.perf_counter() - started
    print(f"paper: {args.pdf}, {paper.pages} pages, {len(paper.sections)} sections; parse {parse:.2f} s")

    # 1. Concurrency: four stages at latency L each.
    provider = ScriptedProvider(lambda r: canned_reply(r, lang="en"), latency=L)
    started = time.perf_counter()
    digest = summarize(paper, provider=provider, lang="en", settings=settings, cache=False)
    wall = time.perf_counter() - started
    stage_sum = L * provider.calls
    print(f"chain wall {wall:.2f} s vs sum of stage latencies {stage_sum:.2f} s ({provider.calls} calls x L={L}); "
          f"wall = {wall / L:.2f} L (target <= 1.5 L); parse + chain {parse + wall:.2f} s vs target "
          f"1.5 L + parse = {1.5 * L + parse:.2f} s; max calls in flight {provider.max_in_flight}")

    # 2. Tokens per stage and the method share, for the default window and smaller ones.
    print("tokens sent per stage (from the run): " + ", ".join(
        f"{r.name} {r.input_tokens:,}" for r in digest.provenance.stages))
    for window in (4_000, 8_000, 32_000, 128_000):
        plan = plan_budget(paper, context_window=window, lang="en")
        share = "n/a (no method section)" if plan.method_share is None else f"{plan.method_share:.0%}"
        print(f"  window {window:>7,}: {'shared prefix' if plan.shared else 'per-stage documents'}, "
              f"tokens {plan.tokens()}, method text reaching Methods {share} "
              f"({plan.method_chars_sent:,}/{plan.method_chars:,} chars)")

    # 3. Cache: a first run fills it, the second is a hit.
    cache = DigestCache(settings.cache_dir / CACHE_FILE)
    summarize(paper, provider=ScriptedProvider(lambda r: canned_reply(r, lang="zh"), latency=L), lang="zh",
              settings=settings, cache=cache)
    again = ScriptedProvider(lambda r: canned_reply(r, lang="zh"), latency=L)
    started = time.perf_counter()
    hit = summarize(paper, provider=again, lang="zh", settings=settings, cache=cache)
    hit_time = time.perf_counter() - started
    statuses = {r.status for r in hit.provenance.stages}
    print(f"cache hit: {hit_time * 1000:.1f} ms (target < 300 ms), provider calls {again.calls}, statuses {statuses}")
    cache.close()

    # 4. The offline provider, per paper.
    if importlib.util.find_spec("chatpaper.extractive") is None:
        print("offline provider: not importable, skipped")
        return 0
    from chatpaper.extractive import ExtractiveRunner

    times = []
    for name in OFFLINE_PAPERS[: args.offline_papers]:
        path = CORPUS_PDFS / name
        if not path.exists():
            continue
        p = paper if name == args.pdf else read_paper(path, out_dir=work / name, settings=settings)
        started = time.perf_counter()
        d = summarize(p, provider=ExtractiveRunner(), lang="en", settings=settings, cache=False)
        elapsed = time.perf_counter() - started
        times.append(elapsed)
        failed = [r.name for r in d.provenance.stages if r.status == "failed"]
        print(f"  offline {name}: {elapsed:.2f} s, {p.pages} pages" + (f", failed {failed}" if failed else ""))
    if times:
        print(f"offline provider: {sum(times) / len(times):.2f} s per paper (mean of {len(times)}, parse excluded)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The offline provider's time per paper over the corpus (prints only; nothing is asserted).

    python benchmarks/bench_offline.py [--repeat 3] [PDF ...]

For each paper: parse time (read_paper, the baseline every digest pays anyway), the offline
digest's time (all four stages, fresh provider so nothing is cached), its share of the parse
time, and the second call's time (the provider keeps the digest it built for the chain's stages).
Then what the digest holds: its language (the paper's), its points, the share of them whose quote the
evidence check finds in the paper, and how many sentences two fields quote (0 while others are left).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chatpaper.chain.guards import iter_points  # noqa: E402
from chatpaper.errors import ChatPaperError  # noqa: E402
from chatpaper.evidence.verify import PageIndex, verify_points  # noqa: E402
from chatpaper.extractive import ExtractiveRunner  # noqa: E402
from chatpaper.reading import read_paper  # noqa: E402
from chatpaper.settings import Settings  # noqa: E402

CORPUS_PDFS = ROOT.parent / "shared" / "corpus" / "pdfs"
STAGES = ("metadata", "summary", "methods", "conclusion")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdfs", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3, help="digest runs per paper (the best is kept)")
    args = parser.parse_args()
    pdfs = args.pdfs or sorted(CORPUS_PDFS.glob("*.pdf"))
    if not pdfs:
        print(f"no PDFs given and {CORPUS_PDFS} is absent")
        return 1
    print(f"{'paper':44} {'pages':>5} {'parse s':>8} {'offline s':>9} {'/parse':>7} {'cached ms':>9} "
          f"{'s/page':>7} takeaways steps lang points verified repeats")
    offline_times, per_page, ratios, shares = [], [], [], []
    total_repeats = 0
    with tempfile.TemporaryDirectory() as tmp:
        for pdf in pdfs:
            t0 = time.perf_counter()
            try:
                paper = read_paper(pdf, out_dir=Path(tmp) / pdf.stem, settings=Settings())
            except ChatPaperError as exc:
                print(f"{pdf.name[:44]:44} not parsed: {exc}")
                continue
            parse_s = time.perf_counter() - t0
            best = float("inf")
            for _ in range(max(args.repeat, 1)):
                runner = ExtractiveRunner()
                t1 = time.perf_counter()
                stages = [runner.build_stage(paper, stage) for stage in STAGES]
                best = min(best, time.perf_counter() - t1)
            t2 = time.perf_counter()
            runner.build_stage(paper, "summary")
            cached_ms = (time.perf_counter() - t2) * 1000
            summary, methods = stages[1], stages[2]
            index = PageIndex(paper.page_texts)
            checked = [verify_points(stage, index, own_quotes=True) for stage in stages[1:]]
            points = sum(total for _, total, _ in checked)
            verified = sum(found for _, _, found in checked)
            texts = [p.text for stage in stages[1:] for _, p in iter_points(stage)]
            repeats = len(texts) - len(set(texts))
            shares.append(verified / points if points else 0.0)
            total_repeats += repeats
            offline_times.append(best)
            per_page.append(best / paper.pages)
            ratios.append(best / parse_s)
            print(f"{pdf.name[:44]:44} {paper.pages:5d} {parse_s:8.2f} {best:9.3f} {best / parse_s:7.2f} "
                  f"{cached_ms:9.2f} {best / paper.pages:7.4f} {len(summary.key_takeaways):9d} "
                  f"{len(methods.steps):5d} {paper.language:>4} {points:6d} {verified / max(points, 1):8.0%} "
                  f"{repeats:7d}")
    if offline_times:
        print(f"SUMMARY papers={len(offline_times)} offline median={statistics.median(offline_times):.3f}s "
              f"mean={statistics.mean(offline_times):.3f}s max={max(offline_times):.3f}s "
              f"per-page median={statistics.median(per_page) * 1000:.1f}ms "
              f"offline/parse median={statistics.median(ratios):.2f} (target < 0.5 s per paper) "
              f"verified min={min(shares):.0%} repeats={total_repeats}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

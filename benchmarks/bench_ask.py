"""Ask the paper: retrieval quality on the question set, index build time, time to the first answer token.

    PYTHONPATH=$PWD python benchmarks/bench_ask.py [--latency 1.0]

Prints recall@1/@5 and MRR on tests/fixtures/ask_questions.json (by language, bigrams against jieba),
the index build time per paper (and per 20 pages) against the parse of the same paper in the same run,
and the time to the first answer token with a scripted provider that answers after L seconds.
Targets (issue 13): recall@5 >= 0.9, index build < 0.2 s for a 20-page paper, first token <= L + 0.3 s.
Needs ../shared/corpus; timings are never asserted.
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

from chatpaper.ask import PassageIndex, paper_passages  # noqa: E402
from chatpaper.ask.tokens import TOKENIZERS, tokenize  # noqa: E402
from chatpaper.reading import read_paper  # noqa: E402
from chatpaper.settings import Settings  # noqa: E402
from tests.ask_eval import gold_rank, load_questions, scores  # noqa: E402

CORPUS_PDFS = ROOT.parent / "shared" / "corpus" / "pdfs"


def read_papers(names: list[str], work: Path) -> tuple[dict, dict]:
    settings = Settings(cache_dir=work / "cache")
    papers, parse_seconds = {}, {}
    for name in names:
        started = time.perf_counter()
        papers[name] = read_paper(CORPUS_PDFS / name, out_dir=work / Path(name).stem, settings=settings)
        parse_seconds[name] = time.perf_counter() - started
    return papers, parse_seconds


def retrieval(papers: dict, questions) -> None:
    answerable = [q for q in questions if q.answer]
    for tokenizer in TOKENIZERS:
        tokenize("预热", tokenizer)  # jieba loads its dictionary once; not part of any paper's index
        indexes = {name: PassageIndex.build(paper_passages(paper), tokenizer) for name, paper in papers.items()}
        for lang in ("en", "zh", "all"):
            chosen = [q for q in answerable if lang == "all" or q.lang == lang]
            s = scores([gold_rank(indexes[q.paper].search(q.question, k=5), q) for q in chosen])
            print(f"retrieval {tokenizer:6} {lang:3} n={len(chosen):2}  recall@1 {s['recall@1']:.2f}  "
                  f"recall@5 {s['recall@5']:.2f}  MRR {s['mrr']:.2f}")
    unanswerable = [q for q in questions if not q.answer]
    print(f"unanswerable questions: {len(unanswerable)} (answered 'the paper does not say' by the model, "
          "not scored here)")


def build_times(papers: dict, parse_seconds: dict, repeats: int = 5) -> None:
    rows = []
    for name, paper in papers.items():
        runs = []
        for _ in range(repeats):
            started = time.perf_counter()
            PassageIndex.build(paper_passages(paper))
            runs.append(time.perf_counter() - started)
        rows.append((name, paper.pages, min(runs)))
    per_20 = [seconds / pages * 20 for _, pages, seconds in rows]
    total_build = sum(seconds for *_, seconds in rows)
    total_parse = sum(parse_seconds.values())
    biggest = max(rows, key=lambda r: r[1])
    print(f"index build: median {statistics.median(s for *_, s in rows) * 1000:.0f} ms per paper, "
          f"{statistics.median(per_20) * 1000:.0f} ms per 20 pages (max {max(per_20) * 1000:.0f} ms); "
          f"largest {biggest[0]} ({biggest[1]} pages) {biggest[2] * 1000:.0f} ms; "
          f"build/parse ratio {total_build / total_parse:.2f} over {len(rows)} papers")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=1.0, help="the scripted provider's delay L in seconds")
    parser.parse_args()  # --help, and a misspelt option fails
    if not CORPUS_PDFS.is_dir():
        print(f"skipped: {CORPUS_PDFS} is absent; this benchmark reads the shared corpus")
        return 0
    questions = load_questions()
    with tempfile.TemporaryDirectory() as tmp:
        papers, parse_seconds = read_papers(sorted({q.paper for q in questions}), Path(tmp))
        retrieval(papers, questions)
        build_times(papers, parse_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Ask the paper: retrieval quality on the question set, index build time, time to the first answer token.

    PYTHONPATH=$PWD python benchmarks/bench_ask.py [--latency 1.0]

Prints recall@1/@5 and MRR on tests/fixtures/ask_questions.json (by language, bigrams against jieba),
the index build time per paper (and per 20 pages) against the parse of the same paper in the same run,
and the time to the first answer token with a scripted provider that answers after L seconds.
Targets (issue 13): recall@5 >= 0.9, index build < 0.2 s for a 20-page paper, first token <= L + 0.3 s.
With a real provider configured (GEMINI_API_KEY, OPENAI_API_KEY or CHATPAPER_PROVIDER), it also asks
the answerable questions (--real-questions of them) and prints the share of answers whose quotes all
verify; otherwise it says why that part is skipped.
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
sys.path.insert(0, str(ROOT / "tests"))  # the test double, fake_llm

from fake_llm import ScriptedProvider  # noqa: E402
from real_model import configured_model  # noqa: E402

from chatpaper.ask import PassageIndex, paper_passages  # noqa: E402
from chatpaper.ask.answer import iter_ask  # noqa: E402
from chatpaper.ask.models import AnswerDelta, AnswerDone  # noqa: E402
from chatpaper.ask.tokens import TOKENIZERS, tokenize  # noqa: E402
from chatpaper.errors import ChatPaperError  # noqa: E402
from chatpaper.evidence.verify import PageIndex  # noqa: E402
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


def _scripted_reply(request) -> str:
    """A valid reply quoting the first passage's first words: what a model answering at once would send."""
    import json
    import re

    found = re.search(r'<passage id="P1" page="(\d+)"[^>]*>\n(.*?)\n</passage>', request.prompt, re.S)
    page, text = (int(found.group(1)), " ".join(found.group(2).split()[:20])) if found else (1, "")
    return json.dumps({"answerable": True, "answer": "The paper says so, in the passage quoted below. " * 4,
                       "quotes": [{"page": page, "quote": text}]})


def first_token(papers: dict, questions, latency: float) -> None:
    """Seconds from the question to the first AnswerDelta, the provider answering after LATENCY; the
    baseline is the provider alone (its own first chunk), measured in the same run."""
    settings = Settings()
    indexes = {name: PassageIndex.build(paper_passages(paper)) for name, paper in papers.items()}
    pages = {name: PageIndex(paper.page_texts) for name, paper in papers.items()}
    chosen = [q for q in questions if q.answer][::8]  # a spread over the papers; each waits L seconds
    provider = ScriptedProvider(_scripted_reply, latency=latency, chunk_chars=12, chunk_delay=0.01)
    firsts, alone, totals = [], [], []
    for q in chosen:
        started = time.perf_counter()
        first = None
        for event in iter_ask(papers[q.paper], q.question, provider=provider, lang=q.lang, settings=settings,
                              index=indexes[q.paper], pages=pages[q.paper]):
            if isinstance(event, AnswerDelta) and first is None:
                first = time.perf_counter() - started
            if isinstance(event, AnswerDone):
                totals.append(time.perf_counter() - started)
        firsts.append(first if first is not None else float("nan"))
        request = provider.history[-1]
        started = time.perf_counter()
        next(iter(provider.stream(request)))
        alone.append(time.perf_counter() - started)
    med, base = statistics.median(firsts), statistics.median(alone)
    print(f"first answer token: L={latency:.2f} s, median {med:.3f} s, max {max(firsts):.3f} s over {len(chosen)} "
          f"questions (provider alone {base:.3f} s; overhead {(med - base) * 1000:.0f} ms; target <= L + 0.3 s: "
          f"{'met' if max(firsts) <= latency + 0.3 else 'missed'}); whole answer with quotes checked "
          f"{statistics.median(totals):.3f} s")


def real_provider_share(papers: dict, questions, limit: int) -> None:
    """With a real model: the share of its answers whose quotes all verify (and how many it declined)."""
    from chatpaper.settings import load_settings

    provider = configured_model("the share of answers whose quotes all verify")
    if provider is None:
        return
    settings = load_settings({})
    counts = {"answer": 0, "all_verified": 0, "not_in_paper": 0, "error": 0}
    chosen = [q for q in questions if q.answer][:limit]
    for q in chosen:
        try:
            answer = None
            for event in iter_ask(papers[q.paper], q.question, provider=provider, lang=q.lang, settings=settings):
                if isinstance(event, AnswerDone):
                    answer = event.answer
        except ChatPaperError:
            counts["error"] += 1
            continue
        assert answer is not None
        if answer.kind == "answer":
            counts["answer"] += 1
            counts["all_verified"] += all(quote.status != "unverified" for quote in answer.quotes)
        else:
            counts["not_in_paper"] += 1
    share = counts["all_verified"] / counts["answer"] if counts["answer"] else 0.0
    print(f"real provider {provider.name}/{provider.model}: {counts['answer']} of {len(chosen)} questions answered, "
          f"quotes all verified in {share:.2f} of them; {counts['not_in_paper']} declined, {counts['error']} failed")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=1.0, help="the scripted provider's delay L in seconds")
    parser.add_argument("--real-questions", type=int, default=20, help="questions asked of a real provider")
    args = parser.parse_args()  # --help, and a misspelt option fails
    if not CORPUS_PDFS.is_dir():
        print(f"skipped: {CORPUS_PDFS} is absent; this benchmark reads the shared corpus")
        return 0
    questions = load_questions()
    with tempfile.TemporaryDirectory() as tmp:
        papers, parse_seconds = read_papers(sorted({q.paper for q in questions}), Path(tmp))
        retrieval(papers, questions)
        build_times(papers, parse_seconds)
        first_token(papers, questions, args.latency)
        real_provider_share(papers, questions, args.real_questions)
    return 0


if __name__ == "__main__":
    sys.exit(main())

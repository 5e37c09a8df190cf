"""The evidence check, measured (prints only; nothing is asserted).

    python benchmarks/bench_evidence.py [--per-paper 12] [--crops 40] [--real-papers 3] [--real-pdf FILE ...]

In one run, over the corpus papers (both manifests):
1. the verifier's precision and recall on the labelled set built by program from the papers
   (chatpaper.evidence.labelled: exact and damaged sentences, moved ones, paraphrases and fabrications);
   targets precision >= 0.99, recall >= 0.95 (the same scoring as tests/test_evidence_labelled.py);
2. verification time per quote (median, p95), against the time to build the page index it searches;
3. locating a quote's boxes and rendering its highlighted crop (chatpaper.evidence.crops), median and
   p95 per crop (target < 150 ms), against a bare 150-dpi render of the whole page in the same run;
4. the verified share of points in offline digests of every paper (must be 1.00);
5. with a real provider configured (GEMINI_API_KEY, OPENAI_API_KEY, CHATPAPER_OPENAI_BASE_URL or
   CHATPAPER_PROVIDER), the verified, relocated and unverified shares of the quotes in a digest of
   --real-papers corpus papers; otherwise one line saying why that part is skipped.
Needs ../shared/corpus.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pymupdf  # noqa: E402
from real_model import configured_model  # noqa: E402

from chatpaper.chain.guards import iter_points  # noqa: E402
from chatpaper.errors import ChatPaperError  # noqa: E402
from chatpaper.evidence.crops import locate, render_crop  # noqa: E402
from chatpaper.evidence.labelled import build_labelled_set, score_labelled  # noqa: E402
from chatpaper.evidence.verify import PageIndex, verify_points  # noqa: E402
from chatpaper.extractive import ExtractiveRunner  # noqa: E402
from chatpaper.models import Paper  # noqa: E402
from chatpaper.reading import read_paper  # noqa: E402
from chatpaper.settings import Settings  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
CORPUS_PDFS = CORPUS / "pdfs"
STAGES = ("metadata", "summary", "methods", "conclusion")
CROP_TARGET_MS = 150  # the bound for one highlighted crop


def corpus_names() -> list[str]:
    names: list[str] = []
    for manifest in ("manifest.json", "manifest-zh.json"):
        path = CORPUS / manifest
        if path.exists():
            names += [entry["file"] for entry in json.loads(path.read_text(encoding="utf-8"))]
    return names


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def labelled(papers: dict[str, Paper], per_paper: int) -> None:
    t0 = time.perf_counter()
    indexes = {name: PageIndex(p.page_texts) for name, p in papers.items()}
    index_ms = (time.perf_counter() - t0) * 1000 / max(len(papers), 1)
    items = list(build_labelled_set([(name, p.page_texts) for name, p in papers.items()], per_paper=per_paper))
    result = score_labelled(items, indexes)
    precision, recall, positives, times = result.precision, result.recall, result.in_paper, result.times_ms
    wrong = result.wrong
    print(f"labelled set: {len(items)} quotes over {len(papers)} papers ({positives} in the paper); "
          f"precision {precision:.4f} (target >= 0.99), recall {recall:.4f} (target >= 0.95); "
          f"wrong by kind: {dict(wrong.most_common()) or 'none'}")
    print(f"verification per quote: median {statistics.median(times):.2f} ms, p95 {pct(times, 0.95):.2f} ms "
          f"(page index build {index_ms:.1f} ms per paper)")


def crops(papers: dict[str, Paper], limit: int) -> None:
    samples = []
    for name, paper in papers.items():
        for q in build_labelled_set([(name, paper.page_texts)], per_paper=2):
            if q.kind == "exact":
                samples.append((CORPUS_PDFS / name, q.cited, q.quote))
                break
        if len(samples) >= limit:
            break
    locate_ms, crop_ms, page_ms, misses = [], [], [], 0
    for pdf, page, quote in samples:
        t0 = time.perf_counter()
        boxes = locate(pdf, page, quote)
        t1 = time.perf_counter()
        if not boxes:
            misses += 1
            continue
        png = render_crop(pdf, page, boxes)
        t2 = time.perf_counter()
        with pymupdf.open(pdf) as doc:
            t3 = time.perf_counter()
            doc[page - 1].get_pixmap(dpi=150).tobytes("png")
            page_ms.append((time.perf_counter() - t3) * 1000)
        assert png.startswith(b"\x89PNG")
        locate_ms.append((t1 - t0) * 1000)
        crop_ms.append((t2 - t1) * 1000)
    if not crop_ms:
        print("crops: no quote located")
        return
    print(f"crops: {len(crop_ms)} quotes ({misses} not located): locate median {statistics.median(locate_ms):.1f} ms "
          f"p95 {pct(locate_ms, 0.95):.1f} ms; render median {statistics.median(crop_ms):.1f} ms "
          f"p95 {pct(crop_ms, 0.95):.1f} ms (target < {CROP_TARGET_MS} ms); bare page render at 150 dpi median "
          f"{statistics.median(page_ms):.1f} ms, ratio {statistics.median(crop_ms) / statistics.median(page_ms):.2f}")


def offline_shares(papers: dict[str, Paper]) -> None:
    shares = []
    for paper in papers.values():
        runner = ExtractiveRunner()
        stages = [runner.build_stage(paper, stage) for stage in STAGES]
        index = PageIndex(paper.page_texts)
        checked = [verify_points(stage, index, own_quotes=True) for stage in stages[1:]]
        points = sum(total for _, total, _ in checked)
        shares.append(sum(found for _, _, found in checked) / max(points, 1))
    print(f"offline digests: {len(shares)} papers, verified share min {min(shares):.2f} "
          f"mean {statistics.mean(shares):.2f} (must be 1.00)")


def real_provider(papers: dict[str, Paper], limit: int) -> None:
    from chatpaper.chain import summarize
    from chatpaper.settings import load_settings

    provider = configured_model("the shares of verified, relocated and unverified quotes")
    if provider is None:
        return
    settings = load_settings({})
    status: Counter[str] = Counter()
    no_quote = 0
    for name, paper in list(papers.items())[:limit]:
        t0 = time.perf_counter()
        try:
            digest = summarize(paper, provider=provider, settings=settings, cache=False)
        except ChatPaperError as exc:
            print(f"real provider {name}: failed ({exc})")
            continue
        paper_status: Counter[str] = Counter()
        for stage in STAGES[1:]:
            result = getattr(digest, stage)
            for _, point in iter_points(result) if result is not None else ():
                no_quote += not point.evidence
                paper_status.update(e.status for e in point.evidence)
        status.update(paper_status)
        print(f"real provider {name}: {dict(paper_status)} in {time.perf_counter() - t0:.0f} s")
    quotes = sum(status.values())
    total = max(quotes, 1)
    print(f"real provider {provider.name}/{provider.model} ({settings.model_profile} profile): quotes verified "
          f"{status['verified'] / total:.2f}, relocated {status['relocated'] / total:.2f}, unverified "
          f"{status['unverified'] / total:.2f} ({quotes} quotes; {no_quote} points with no quote)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-paper", type=int, default=12, help="labelled sentences drawn per paper")
    parser.add_argument("--crops", type=int, default=40, help="quotes located and cropped")
    parser.add_argument("--real-papers", type=int, default=3, help="papers digested by a real provider")
    parser.add_argument("--real-pdf", action="append", default=[],
                        help="corpus file name digested by the real provider (repeatable; default: the first ones)")
    args = parser.parse_args()
    if not CORPUS_PDFS.is_dir():
        print(f"skipped: {CORPUS_PDFS} is absent; this benchmark reads the shared corpus")
        return 0
    papers: dict[str, Paper] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in corpus_names():
            try:
                papers[name] = read_paper(CORPUS_PDFS / name, out_dir=Path(tmp) / Path(name).stem,
                                          settings=Settings())
            except ChatPaperError as exc:
                print(f"{name}: not parsed ({exc})")
        labelled(papers, args.per_paper)
        crops(papers, args.crops)
        offline_shares(papers)
        chosen = {n: papers[n] for n in args.real_pdf if n in papers} or papers
        real_provider(chosen, args.real_papers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

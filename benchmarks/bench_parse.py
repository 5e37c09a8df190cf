"""Read every corpus PDF in one process through parse_pdf (figures included) and score it.

Reads both manifests (manifest.json and manifest-zh.json) and prints, for all papers and for each
language (zh / en), the same figures as ../shared/tools/score_parse.py's SUMMARY (computed
in-process with its score_one) and pages per second including the figure PNGs; then the ratio of
that speed to bare `page.get_text("dict")` over the same pages, measured in the same run, by the clock and
in CPU seconds (steadier on a shared machine). Time spent reading captions printed inside images
(OCR, only where Tesseract's language data is installed) is printed apart, with the ratio without it.

    .venv/bin/python benchmarks/bench_parse.py [--verbose] [--lang zh|en]

Skips cleanly (exit 0) where ../shared/corpus is absent.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
SCORER = SHARED / "tools" / "score_parse.py"
COLUMNS = ["title", "authors_f1", "abstract", "sections_f1", "method", "conclusion",
           "fig_recall", "fig_precision", "fig_caption"]


def load_scorer():
    spec = importlib.util.spec_from_file_location("score_parse", SCORER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--verbose", action="store_true", help="one row per paper")
    ap.add_argument("--lang", choices=("zh", "en"), help="only the papers in this language")
    args = ap.parse_args()
    if not (CORPUS / "manifest.json").exists() or not SCORER.exists():
        print(f"skipped: {CORPUS} or {SCORER} is absent (a user's clone); nothing to measure.")
        return 0
    sys.path.insert(0, str(ROOT))
    import pymupdf

    from chatpaper.errors import PdfError
    from chatpaper.pdf import parse_pdf  # also keeps pymupdf's optional layout model out
    from chatpaper.pdf.ocr import OcrReader
    from chatpaper.settings import Settings

    scorer = load_scorer()
    manifest = []
    for name in ("manifest.json", "manifest-zh.json"):
        if (CORPUS / name).exists():
            manifest += json.loads((CORPUS / name).read_text())
    if args.lang:
        manifest = [gold for gold in manifest if gold.get("language", "en") == args.lang]
    pdfs = [CORPUS / "pdfs" / gold["file"] for gold in manifest]
    for pdf in pdfs:
        pdf.read_bytes()  # warm the file cache for both passes alike
    settings = Settings()
    ocr_time = {"seconds": 0.0, "strips": 0, "papers": set()}
    read_lines = OcrReader.lines

    def timed_lines(self, page, clip):  # the OCR's share of the parse time, measured where it is spent
        began = time.perf_counter()
        try:
            return read_lines(self, page, clip)
        finally:
            ocr_time["seconds"] += time.perf_counter() - began
            ocr_time["strips"] += 1
            ocr_time["papers"].add(page.parent.name)

    OcrReader.lines = timed_lines  # type: ignore[method-assign]

    rows, failures, pages, figures = [], [], 0, 0
    per_lang: dict[str, dict] = {}
    start, start_cpu = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory(prefix="bench_parse_") as tmp:
        for gold, pdf in zip(manifest, pdfs, strict=True):
            out = Path(tmp) / pdf.stem
            lang = per_lang.setdefault(gold.get("language", "en"), {"rows": [], "pages": 0, "seconds": 0.0})
            began = time.perf_counter()
            try:
                paper = parse_pdf(pdf, out_dir=out, settings=settings)
                data = json.loads(paper.model_dump_json(exclude={"page_texts"}))
                pages += paper.pages
                lang["pages"] += paper.pages
                figures += len(list((out / "figures").glob("*.png"))) if (out / "figures").exists() else 0
            except PdfError as exc:
                failures.append((gold["file"], str(exc)))
                data = {}
            lang["seconds"] += time.perf_counter() - began
            row = scorer.score_one(gold, data)
            rows.append(row)
            lang["rows"].append(row)
            if args.verbose:
                print(f"{gold['file'][:32]:32} " + " ".join(scorer.fmt(row[c]).rjust(8) for c in COLUMNS))
                if data:
                    print("   sections:", [s["title"] for s in data["sections"] if s["level"] == 1])
                    print("   gold    :", gold.get("sections"))
    parse_seconds, parse_cpu = time.perf_counter() - start, time.process_time() - start_cpu

    bare_cpu = 0.0  # CPU seconds of the literal call's pass

    def bare_pass(**kwargs) -> float:
        nonlocal bare_cpu
        count = 0
        begin, begin_cpu = time.perf_counter(), time.process_time()
        for pdf in pdfs:
            with pymupdf.open(pdf) as doc:
                for page in doc:
                    page.get_text("dict", **kwargs)
                    count += 1
        bare_cpu = time.process_time() - begin_cpu
        return count / (time.perf_counter() - begin)

    bare = bare_pass()  # the literal call: default flags also decode every image
    bare_dict_cpu = bare_cpu
    bare_text = bare_pass(flags=pymupdf.TEXTFLAGS_TEXT)  # text only, as parse_pdf asks for

    for name, why in failures:
        print(f"FAILED {name}: {why}")

    def summary_line(some: list[dict]) -> str:
        summary = {c: scorer.mean([r[c] for r in some]) for c in COLUMNS}
        return " ".join(f"{c}={summary[c]:.2f}" for c in COLUMNS if summary[c] is not None)

    speed = pages / parse_seconds
    print(f"SUMMARY papers={len(rows)} failed={len(failures)} {summary_line(rows)} pages_per_s={speed:.1f}")
    for code in sorted(per_lang, reverse=True):  # zh first: most readers read Chinese
        lang = per_lang[code]
        lang_speed = lang["pages"] / lang["seconds"] if lang["seconds"] else 0.0
        print(f"SUMMARY[{code}] papers={len(lang['rows'])} {summary_line(lang['rows'])} "
              f"pages={lang['pages']} pages_per_s={lang_speed:.1f}")
    print(f"parse: {pages} pages in {parse_seconds:.1f} s = {speed:.1f} pages/s ({figures} figure PNGs); "
          f"bare get_text('dict'): {bare:.0f} pages/s; ratio {speed / bare:.2f}")
    print(f"bare get_text('dict', flags=TEXTFLAGS_TEXT) (no images): {bare_text:.0f} pages/s; "
          f"ratio {speed / bare_text:.2f}")
    ocr_seconds, ocr_papers = ocr_time["seconds"], len(ocr_time["papers"])
    without = pages / (parse_seconds - ocr_seconds)
    print(f"ocr: {ocr_seconds:.1f} s of the parse reading {ocr_time['strips']} image strips of {ocr_papers} "
          f"paper{'' if ocr_papers == 1 else 's'} (captions printed inside figures); without it "
          f"{without:.1f} pages/s, ratio {without / bare:.2f}")
    # CPU seconds of this process (the PNG thread's included): steadier than the clock on a shared machine
    print(f"cpu: parse {parse_cpu:.1f} s, bare get_text('dict') {bare_dict_cpu:.1f} s; ratio {bare_dict_cpu / parse_cpu:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

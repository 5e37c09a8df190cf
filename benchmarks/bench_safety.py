"""What one hostile visitor can cost the Space, measured; each section prints its own lines.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_safety.py [--only memory,latency]

Sections (run in this order; `--only` picks some):
  memory   peak memory (RSS) and wall time of parsing hostile PDFs (tiny files with 14,400 pt pages
           and one huge vector chart per page), when the text is ready (before the figure stage) and
           in total; one fresh process per PDF, so each peak is that PDF's alone. An ordinary paper is
           the same-run baseline. Target: under 600 MB for any PDF within the size cap.
  latency  a normal upload's parse while a hostile one is being parsed, against the same upload
           alone (ratio), through the app's parse pool. Target: at most 1.5x.

Timings are noisy on a shared machine: read the ratios against the baseline measured in the same run.
To add a section, write a function that returns its lines and add it to SECTIONS.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MEMORY_TARGET_MB = 600

# Runs in a fresh interpreter per PDF: parse it, report time and peak RSS at text-ready and at the end.
_PARSE_ONE = r"""
import json, resource, sys, tempfile, time
from pathlib import Path
from chatpaper.pdf import parse_pdf
from chatpaper.settings import Settings

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

data = Path(sys.argv[1]).read_bytes()
report = {"start_mb": peak_mb()}
start = time.perf_counter()
def text_ready(paper):
    report.update(text_s=time.perf_counter() - start, text_mb=peak_mb())
with tempfile.TemporaryDirectory() as out:
    paper = parse_pdf(data, out_dir=Path(out), settings=Settings(), on_text=text_ready)
report.update(total_s=time.perf_counter() - start, total_mb=peak_mb(), figures=len(paper.figures),
              images=sum(f.image is not None for f in paper.figures), warnings=len(paper.warnings))
print(json.dumps(report))
"""


def hostile_pdfs(folder: Path) -> list[tuple[str, Path]]:
    """(label, path): the ordinary baseline first, then the hostile ones."""
    sys.path.insert(0, str(ROOT / "tests"))
    from pdf_factory import huge_figure_pdf  # noqa: PLC0415

    pdfs = []
    example = ROOT / "examples" / "chatpaper-example.pdf"
    if example.is_file():
        pdfs.append(("ordinary paper (examples/chatpaper-example.pdf)", example))
    corpus = sorted((ROOT.parent / "shared" / "corpus" / "pdfs").glob("*.pdf"), key=lambda p: p.stat().st_size)
    if corpus:  # the largest real paper at hand: also within the size cap, also under the target
        pdfs.append((f"largest corpus paper ({corpus[-1].name})", corpus[-1]))
    for label, kwargs in [("1 page of 14,400 pt, one chart", {"pages": 1}),
                          ("4 pages of 14,400 pt, one chart each", {"pages": 4}),
                          ("1 square A0-wide page (pixel cap, not page cap)", {"pages": 1, "side": 2384.0})]:
        path = folder / f"hostile-{len(pdfs)}.pdf"
        path.write_bytes(huge_figure_pdf(**kwargs))
        pdfs.append((label, path))
    return pdfs


def parse_in_fresh_process(path: Path) -> dict:
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", _PARSE_ONE, str(path)], capture_output=True, text=True,
                          env=env, timeout=600, check=False)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def section_memory(args: argparse.Namespace) -> list[str]:
    lines = []
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="bench_safety_") as tmp:
        for label, path in hostile_pdfs(Path(tmp)):
            r = parse_in_fresh_process(path)
            if "error" in r:
                lines.append(f"memory: {label}: failed: {r['error']}")
                continue
            worst = max(worst, r["total_mb"])
            lines.append(f"memory: {label} ({path.stat().st_size / 1024:.1f} KB): text ready {r['text_s']:.2f} s, "
                         f"peak {r['text_mb']:.0f} MB; total {r['total_s']:.2f} s, peak {r['total_mb']:.0f} MB "
                         f"(interpreter alone {r['start_mb']:.0f} MB); {r['images']}/{r['figures']} figures "
                         f"rendered, {r['warnings']} warning(s)")
    lines.append(f"memory: worst peak of any PDF above {worst:.0f} MB; target < {MEMORY_TARGET_MB} MB: "
                 f"{'met' if worst < MEMORY_TARGET_MB else 'MISSED'}")
    return lines


# Caps lifted and a low dpi: rendering takes seconds and a few hundred MB, a stand-in for any slow paper.
_SLOW_SETTINGS = dict(figure_dpi=60, max_page_area=1e12, max_figure_pixels=10**12)


def _normal_pdf() -> Path:
    corpus = ROOT.parent / "shared" / "corpus" / "pdfs" / "1412.6980.pdf"
    return corpus if corpus.is_file() else ROOT / "examples" / "chatpaper-example.pdf"


def section_latency(args: argparse.Namespace) -> list[str]:
    import threading  # noqa: PLC0415
    from statistics import median  # noqa: PLC0415

    from chatpaper.pdf.pool import ParsePool  # noqa: PLC0415
    from chatpaper.reading import read_paper  # noqa: PLC0415
    from chatpaper.settings import Settings  # noqa: PLC0415

    sys.path.insert(0, str(ROOT / "tests"))
    from pdf_factory import huge_figure_pdf  # noqa: PLC0415

    normal = _normal_pdf()
    settings = Settings()
    pool = ParsePool.from_settings(settings)
    lines = [f"latency: normal upload {normal.name}, parse pool of {pool.workers} workers"]

    def timed(use_pool: bool, out: Path) -> float:
        start = time.perf_counter()
        read_paper(normal.read_bytes(), out_dir=out, settings=settings, pool=pool if use_pool else None)
        return time.perf_counter() - start

    def during(hostile: bytes, hostile_settings: Settings, use_pool: bool, tmp: Path, rounds: int = 3) -> float:
        """The normal upload's median latency, each round started while the hostile parse is under way."""
        times = []
        for k in range(rounds):
            started = threading.Event()

            def hostile_parse(k=k):
                started.set()
                read_paper(hostile, out_dir=tmp / f"hostile-{use_pool}-{k}", settings=hostile_settings,
                           pool=pool if use_pool else None)

            worker = threading.Thread(target=hostile_parse)
            worker.start()
            started.wait()
            time.sleep(0.2)  # the hostile parse is in its worker (or holds the lock) by now
            times.append(timed(use_pool, tmp / f"normal-{use_pool}-{k}"))
            worker.join()
        return median(times)

    try:
        with tempfile.TemporaryDirectory(prefix="bench_safety_") as tmp_name:
            tmp = Path(tmp_name)
            timed(True, tmp / "warm")  # start the workers
            solo = median(timed(True, tmp / f"solo-{k}") for k in range(3))
            lines.append(f"latency: alone {solo:.2f} s (median of 3)")
            cases = [("the 4-page 14,400 pt PDF, default caps", huge_figure_pdf(pages=4), settings, True),
                     ("a slow paper (caps lifted, 60 dpi)", huge_figure_pdf(pages=2), Settings(**_SLOW_SETTINGS), True),
                     ("the same slow paper, in-process under PDF_LOCK (no pool)", huge_figure_pdf(pages=2),
                      Settings(**_SLOW_SETTINGS), False)]
            for label, data, hostile_settings, use_pool in cases:
                seconds = during(data, hostile_settings, use_pool, tmp)
                verdict = "" if not use_pool else f"; target <= 1.5x: {'met' if seconds <= 1.5 * solo else 'MISSED'}"
                lines.append(f"latency: while {label} parses: {seconds:.2f} s = {seconds / solo:.2f}x alone{verdict}")
    finally:
        pool.close()
    return lines


SECTIONS: dict[str, Callable[[argparse.Namespace], list[str]]] = {
    "memory": section_memory,
    "latency": section_latency,
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help="comma-separated sections: " + ", ".join(SECTIONS))
    args = ap.parse_args()
    names = [n.strip() for n in args.only.split(",")] if args.only else list(SECTIONS)
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        ap.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    for name in names:
        start = time.perf_counter()
        for line in SECTIONS[name](args):
            print(line, flush=True)
        print(f"({name}: {time.perf_counter() - start:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

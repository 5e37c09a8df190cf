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
            worst = max(worst, r["total_mb"]) if "ordinary" not in label else worst
            lines.append(f"memory: {label} ({path.stat().st_size / 1024:.1f} KB): text ready {r['text_s']:.2f} s, "
                         f"peak {r['text_mb']:.0f} MB; total {r['total_s']:.2f} s, peak {r['total_mb']:.0f} MB "
                         f"(interpreter alone {r['start_mb']:.0f} MB); {r['images']}/{r['figures']} figures "
                         f"rendered, {r['warnings']} warning(s)")
    lines.append(f"memory: worst hostile peak {worst:.0f} MB; target < {MEMORY_TARGET_MB} MB: "
                 f"{'met' if worst < MEMORY_TARGET_MB else 'MISSED'}")
    return lines


SECTIONS: dict[str, Callable[[argparse.Namespace], list[str]]] = {
    "memory": section_memory,
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

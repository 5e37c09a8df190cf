"""What one hostile visitor can cost the Space, measured; each section prints its own lines.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_safety.py [--only memory,latency]

Sections (run in this order; `--only` picks some):
  memory   peak memory (RSS) and wall time of parsing hostile PDFs (tiny files with 14,400 pt pages
           and one huge vector chart per page; wide pictures that ask for OCR, which reads captions
           only where Tesseract's language data is installed), when the text is ready (before the figure stage) and
           in total; one fresh process per PDF, so each peak is that PDF's alone. An ordinary paper is
           the same-run baseline. Target: under 600 MB for any PDF within the size cap.
  latency  a normal upload's parse while a hostile one is being parsed, against the same upload
           alone (ratio), through the app's parse pool. Target: at most 1.5x.
  hang     the worst wait of a request that needs no model (offline provider) while four visitors'
           endpoints accept the connection and never answer, against the same request alone, in a
           launched app. Target: unaffected (about 1x).
  growth   cache and Gradio temp growth per request over 50 requests of a cached paper in a launched
           app, and the empty temp files and runs/requests folders left behind. Target: about 0.

Timings are noisy on a shared machine: read the ratios against the baseline measured in the same run.
To add a section, write a function that returns its lines and add it to SECTIONS.
"""
from __future__ import annotations

import argparse
import json
import socket
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
    # VmHWM: this process image's own peak; ru_maxrss carries the parent's across exec (a floor of its RSS)
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
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
    from pdf_factory import huge_figure_pdf, pictured_captions_pdf

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
    # OCR's bounds (12 images, 10 s per paper): 36 wide pictures with text at their feet, 40 cited figures
    path = folder / "hostile-pictured.pdf"
    path.write_bytes(pictured_captions_pdf())
    pdfs.append(("3 pages 6,000 pt wide of 12 captioned-looking pictures, 40 figures cited (OCR)", path))
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
    import threading
    from statistics import median

    from chatpaper.pdf.pool import ParsePool
    from chatpaper.reading import read_paper
    from chatpaper.settings import Settings

    sys.path.insert(0, str(ROOT / "tests"))
    from pdf_factory import huge_figure_pdf

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

            def hostile_parse(k=k, started=started):
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


HANG_READ_SECONDS = 20.0  # the visitor read timeout for this run: long enough to overlap every probe


def _launch(settings):
    from chatpaper import ui

    app = ui.create_app(settings)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ui.launch(app, settings, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    return app, f"http://127.0.0.1:{port}/"


def _no_model_request(client, pdf: Path) -> tuple[float, str]:
    from gradio_client import handle_file

    start = time.perf_counter()
    out = client.submit("", handle_file(str(pdf)), "en", "offline", "", "", "", api_name="/summarize").result(timeout=300)
    return time.perf_counter() - start, out[0]


def section_hang(args: argparse.Namespace) -> list[str]:
    """A no-model request's worst wait while four visitors' endpoints accept and never answer."""
    import threading
    from statistics import median

    from gradio_client import Client, handle_file

    from chatpaper.settings import Settings

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []

    def accept() -> None:  # accepts every connection and never answers
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    hang_url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    pdf = ROOT / "examples" / "chatpaper-example.pdf"
    with tempfile.TemporaryDirectory(prefix="bench_safety_hang_") as tmp:
        # Private endpoints allowed only so the hanging server can be on loopback; the default refuses it.
        settings = Settings(cache_dir=Path(tmp), provider="offline", lang="en", allow_private_endpoints=True,
                            visitor_read_timeout_seconds=HANG_READ_SECONDS)
        app, url = _launch(settings)
        try:
            client = Client(url, verbose=False)
            _no_model_request(client, pdf)  # parse once: the probes below are the request, not the parse
            solo = [_no_model_request(client, pdf)[0] for _ in range(3)]
            jobs = [Client(url, verbose=False).submit("", handle_file(str(pdf)), "en", "openai", "bench-model",
                                                      hang_url, "sk-bench-key", api_name="/summarize")
                    for _ in range(4)]
            time.sleep(3.0)  # every hanging request is waiting on its endpoint by now
            during = [_no_model_request(client, pdf)[0] for _ in range(3)]
            statuses = [job.result(timeout=HANG_READ_SECONDS * 4)[0] for job in jobs]
        finally:
            app.close()
            listener.close()
            for conn in held:
                conn.close()
    refused = sum("already waiting" in s for s in statuses)
    worst = max(during)
    return [
        f"hang: 4 visitor endpoints that accept and never answer (read timeout {HANG_READ_SECONDS:.0f} s): "
        f"{len(held)} connections held, {refused} requests refused at once (visitor slots full)",
        f"hang: no-model request alone {median(solo):.2f} s (median of 3, worst {max(solo):.2f} s)",
        f"hang: no-model request while they hang: worst {worst:.2f} s = {worst / max(solo):.2f}x the worst alone",
    ]


def _tree_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


def section_growth(args: argparse.Namespace) -> list[str]:
    """Cache and Gradio temp growth per request over 50 requests (the same paper: a cached repeat)."""
    import os

    from gradio_client import Client

    from chatpaper.settings import Settings

    requests = 50
    pdf = ROOT / "examples" / "chatpaper-example.pdf"
    with tempfile.TemporaryDirectory(prefix="bench_safety_growth_") as tmp:
        cache, served = Path(tmp) / "cache", Path(tmp) / "gradio"
        previous = os.environ.get("GRADIO_TEMP_DIR")
        os.environ["GRADIO_TEMP_DIR"] = str(served)  # Gradio's per-session copies and uploads, measured alone
        system_tmp = Path(tempfile.gettempdir())
        settings = Settings(cache_dir=cache, provider="offline", lang="en")
        app, url = _launch(settings)
        try:
            client = Client(url, verbose=False)
            _no_model_request(client, pdf)  # the first request parses and fills the cache
            before = _tree_bytes(cache), _tree_bytes(served), {p.name for p in system_tmp.iterdir()}
            for _ in range(requests):
                _no_model_request(client, pdf)
            after = _tree_bytes(cache), _tree_bytes(served), {p.name for p in system_tmp.iterdir()}
            empty = [n for n in after[2] - before[2] if (system_tmp / n).is_file() and not (system_tmp / n).stat().st_size]
            requests_left = (cache / "runs" / "requests")
            leftover = len(list(requests_left.iterdir())) if requests_left.is_dir() else 0
        finally:
            app.close()
            if previous is None:
                os.environ.pop("GRADIO_TEMP_DIR", None)
            else:
                os.environ["GRADIO_TEMP_DIR"] = previous
    return [
        f"growth: after the first request, cache {before[0] / 1024:.0f} KB, Gradio temp {before[1] / 1024:.0f} KB",
        f"growth: over {requests} more requests: cache {(after[0] - before[0]) / requests / 1024:+.1f} KB/request, "
        f"Gradio temp {(after[1] - before[1]) / requests / 1024:+.1f} KB/request, "
        f"{len(empty)} empty temp files left in {system_tmp}, {leftover} runs/requests folders left",
    ]


SECTIONS: dict[str, Callable[[argparse.Namespace], list[str]]] = {
    "memory": section_memory,
    "latency": section_latency,
    "hang": section_hang,
    "growth": section_growth,
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

"""The app, served on a loopback port and called with gradio_client: latency as a user sees it (prints only).

Scenarios, each on papers the digest cache has not seen (distinct PDFs or model names):
  1. offline provider, one user at a time: click -> header, -> figure gallery, -> full digest;
  2. fake provider at a fixed latency L per LLM call, one user at a time: the same two times;
  3. the fake provider with 8 concurrent gradio_client users: p50/p95 of both times, and the
     ratio of the p50s to scenario 2's (the baseline of this run);
  4. a repeat of one request: answered from the digest cache;
  5. an arXiv ID with arXiv mocked (`responses`; the header comes from arXiv's metadata before the PDF);
  6. arXiv unreachable, in a second app with the default arXiv settings (retries, pacing): the time from
     the click to the first sentence, for a name that does not resolve (getaddrinfo fails for every host
     but loopback, injected in this process) and for a proxy that refuses (HTTPS_PROXY to a closed
     loopback port); no request leaves the machine. The issue's bound is 3 s;
  7. `chatpaper digest --ids` of two IDs (in-process `main`), the name unresolvable: time and whether a post
     was written;
and the process's peak memory (server and clients share the process).

Papers: the shared corpus where present, else variants of examples/chatpaper-example.pdf.

    .venv/bin/python benchmarks/bench_app.py [--latency 0.5] [--users 8] [--concurrency 2]
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import os
import resource
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the test double, fake_llm

from fake_llm import ScriptedProvider, canned_reply  # noqa: E402
from gradio_client import Client, handle_file  # noqa: E402

from chatpaper import ui  # noqa: E402
from chatpaper.llm.registry import register_provider  # noqa: E402
from chatpaper.settings import Settings  # noqa: E402

CORPUS_PDFS = ROOT.parent / "shared" / "corpus" / "pdfs"
CORPUS = ["1212.5701.pdf", "1412.6980.pdf", "1503.02531.pdf", "1605.09507.pdf", "1606.01039.pdf",
          "1704.08729.pdf", "1706.08606.pdf", "2210.04628.pdf", "2406.05946.pdf", "2501.17811.pdf"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def example_variants(folder: Path, count: int) -> list[Path]:
    spec = importlib.util.spec_from_file_location("make_example_pdf", ROOT / "examples" / "make_example_pdf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    base_title = module.TITLE
    paths = []
    for i in range(count):
        module.TITLE = f"{base_title} (variant {i})"
        path = folder / f"variant-{i}.pdf"
        path.write_bytes(module.build())
        paths.append(path)
    return paths


def papers(folder: Path, count: int) -> tuple[list[Path], str]:
    if CORPUS_PDFS.is_dir():
        found = [CORPUS_PDFS / name for name in CORPUS if (CORPUS_PDFS / name).exists()]
        if len(found) >= count:
            return found[:count], "corpus"
    return example_variants(folder, count), "example variants"


def one_request(url: str, pdf: Path | None, provider: str, model: str, arxiv: str = ""
                ) -> tuple[float, float, float, int]:
    """-> (seconds to the first update with a header, ... with figures, ... to the last update, finished well)."""
    client = Client(url, verbose=False)
    start = time.perf_counter()
    job = client.submit(arxiv, handle_file(str(pdf)) if pdf else None, "en", provider, model, "", "",
                        api_name="/summarize")
    header_at = figures_at = None
    last = None
    for outputs in job:
        last = outputs
        if header_at is None and outputs[1]:
            header_at = time.perf_counter() - start
        if figures_at is None and isinstance(outputs[6], list) and outputs[6]:  # a skipped output is a dict
            figures_at = time.perf_counter() - start
    done_at = time.perf_counter() - start
    ok = int(bool(last) and str(last[0]).startswith("✅"))
    return (header_at if header_at is not None else done_at, figures_at if figures_at is not None else done_at,
            done_at, ok)


# The bound on the wait for the first sentence when arXiv cannot be reached (it was 21 s).
UNREACHABLE_BOUND_SECONDS = 3.0
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@contextlib.contextmanager
def no_name_resolution():
    """getaddrinfo fails for every host but loopback, as on a machine without DNS (the app and its
    client still talk over 127.0.0.1)."""
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host in LOOPBACK or (isinstance(host, bytes) and host.decode() in LOOPBACK):
            return real(host, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    socket.getaddrinfo = resolve
    try:
        yield
    finally:
        socket.getaddrinfo = real


@contextlib.contextmanager
def refusing_proxy():
    """Every https request goes through a proxy on a closed loopback port: each connection is refused."""
    saved = {k: os.environ.get(k) for k in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy")}
    proxy = f"http://127.0.0.1:{free_port()}"  # bound, then closed: nothing listens there
    os.environ.update(HTTPS_PROXY=proxy, https_proxy=proxy, NO_PROXY="127.0.0.1,localhost",
                      no_proxy="127.0.0.1,localhost")
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def first_sentence(url: str, arxiv: str) -> tuple[float, float, str]:
    """-> (seconds to the first update, seconds to the first ⚠️ sentence, that sentence)."""
    client = Client(url, verbose=False)
    start = time.perf_counter()
    job = client.submit(arxiv, None, "en", "offline", "", "", "", api_name="/summarize")
    first_at = warned_at = None
    sentence = ""
    for outputs in job:
        now = time.perf_counter() - start
        first_at = now if first_at is None else first_at
        if str(outputs[0]).startswith("⚠️"):
            warned_at, sentence = now, str(outputs[0])
            break
    done = time.perf_counter() - start
    return (first_at if first_at is not None else done, warned_at if warned_at is not None else done,
            " ".join(sentence.replace("\\", "").split()))


def unreachable_lines(work: Path) -> None:
    """Scenarios 6 and 7: arXiv cannot be reached; the app and the CLI with their default arXiv settings."""
    settings = Settings(cache_dir=work / "cache-offline")  # default retries and pacing, as a fresh install
    app = ui.create_app(settings)
    port = free_port()
    ui.launch(app, settings, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        for name, network in (("6a. arXiv unreachable, no DNS", no_name_resolution),
                              ("6b. arXiv unreachable, proxy refuses", refusing_proxy)):
            with network(), no_name_resolution():  # no DNS in both: nothing can leave the machine
                first, warned, sentence = first_sentence(url, "2405.15619")
            verdict = "under" if warned < UNREACHABLE_BOUND_SECONDS else "OVER"
            print(f"{name:<34} first update {first:5.2f} s   first sentence {warned:5.2f} s "
                  f"({verdict} the {UNREACHABLE_BOUND_SECONDS:g} s bound)")
            print(f"   {sentence[:150]}")
    finally:
        app.close()

    from chatpaper.__main__ import main as cli

    out, err = work / "posts", io.StringIO()
    os.environ["CHATPAPER_CACHE_DIR"] = str(work / "cache-cli")
    start = time.perf_counter()
    with no_name_resolution(), contextlib.redirect_stderr(err):
        code = cli(["digest", "--ids", "2405.15619", "2405.15234", "--provider", "offline", "--out", str(out)])
    seconds = time.perf_counter() - start
    posts = sorted(out.rglob("*.md")) if out.exists() else []
    print(f"{'7. CLI digest --ids x2, no DNS':<34} {seconds:5.2f} s   exit {code}   posts written {len(posts)}")
    print(f"   {err.getvalue().strip().splitlines()[-1][:150]}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def line(name: str, header: list[float], figures: list[float], done: list[float], ok: int, total: int) -> None:
    if len(header) == 1:
        print(f"{name:<34} header {header[0]:5.2f} s   figures {figures[0]:5.2f} s   full digest {done[0]:5.2f} s   "
              f"ok {ok}/{total}")
    else:
        print(f"{name:<34} header p50 {statistics.median(header):5.2f} s p95 {percentile(header, 0.95):5.2f} s   "
              f"figures p50 {statistics.median(figures):5.2f} s   "
              f"full p50 {statistics.median(done):5.2f} s p95 {percentile(done, 0.95):5.2f} s   ok {ok}/{total}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, default=0.5, help="seconds per fake LLM call (L)")
    parser.add_argument("--users", type=int, default=8, help="concurrent gradio_client users")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="the app's max_concurrency (default: CHATPAPER_MAX_CONCURRENCY or 2)")
    args = parser.parse_args()

    register_provider("bench-fake", lambda *, model=None, **_: ScriptedProvider(
        lambda request: canned_reply(request, lang="en"), latency=args.latency, model=model))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        overrides = {"max_concurrency": args.concurrency} if args.concurrency else {}
        settings = Settings(cache_dir=work / "cache", arxiv_delay_seconds=0, **overrides)
        pdfs, kind = papers(work, max(args.users, 3) + 2)
        app = ui.create_app(settings)
        port = free_port()
        ui.launch(app, settings, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
        url = f"http://127.0.0.1:{port}/"
        print(f"papers: {len(pdfs)} {kind}; fake latency L = {args.latency:g} s per call; "
              f"app max_concurrency {settings.max_concurrency}, max_queue {settings.max_queue}")
        try:
            one_request(url, pdfs[-1], "offline", "warm-up")  # imports, first parse: not measured

            h, f, d, ok = one_request(url, pdfs[0], "offline", "")
            line("1. offline, one user", [h], [f], [d], ok, 1)

            h1, f1, d1, ok = one_request(url, pdfs[1], "bench-fake", "single")
            line(f"2. fake L={args.latency:g}s, one user", [h1], [f1], [d1], ok, 1)

            results: list[tuple[float, float, float, int]] = []
            lock = threading.Lock()

            def user(i: int) -> None:
                result = one_request(url, pdfs[2 + i % (len(pdfs) - 3)], "bench-fake", f"user-{i}")
                with lock:
                    results.append(result)

            threads = [threading.Thread(target=user, args=(i,)) for i in range(args.users)]
            start = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - start
            headers, figures, dones = [r[0] for r in results], [r[1] for r in results], [r[2] for r in results]
            line(f"3. fake, {args.users} concurrent users", headers, figures, dones, sum(r[3] for r in results),
                 args.users)
            print(f"   wall {wall:.2f} s; p50 vs one user: header x{statistics.median(headers) / h1:.1f}, "
                  f"full digest x{statistics.median(dones) / d1:.1f}")

            h, f, d, ok = one_request(url, pdfs[1], "bench-fake", "single")
            line("4. repeat of 2 (digest cache)", [h], [f], [d], ok, 1)
            print(f"   cached full digest is x{d1 / d:.1f} faster than uncached")

            import responses  # a test dependency, only this scenario needs it

            feed = ROOT / "tests" / "fixtures" / "arxiv" / "paper_2405.15619v1.xml"
            with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
                mock.add_passthru("http://127.0.0.1")
                mock.get("https://export.arxiv.org/api/query", body=feed.read_text(encoding="utf-8"),
                         content_type="application/atom+xml; charset=utf-8")
                mock.get("https://arxiv.org/pdf/2405.15619v1", body=pdfs[0].read_bytes(),
                         content_type="application/pdf")
                h, f, d, ok = one_request(url, None, "bench-fake", "arxiv", arxiv="2405.15619v1")
            line("5. arXiv ID (mocked), fake", [h], [f], [d], ok, 1)
        finally:
            app.close()
        unreachable_lines(work)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        print(f"peak memory (server + clients, one process): {peak_mb:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

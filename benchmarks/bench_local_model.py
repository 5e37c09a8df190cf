"""A small local model on loopback (issue 14): distinct fields and the cost of corrections, before and after.

Digests one English and one Chinese corpus paper with Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF) served
by llama.cpp's own HTTP server (xllamacpp) on 127.0.0.1, as a user with CHATPAPER_CONTEXT_WINDOW=8000
would. Each digest runs once per mode in this same run: "before", the chain as main had it before issue
14 (the commit before chatpaper/chain/distinct.py was added, exported with `git archive`); "standard",
this checkout with CHATPAPER_MODEL_PROFILE=standard (one call per stage); "after", this checkout with
the default CHATPAPER_MODEL_PROFILE=auto (which picks the small profile for this window). Modes run in
the order given, each on both papers, and each paper's lines print as soon as it is done. Each run gets its
own fresh server, so neither inherits the other's prefix cache. Prints per stage: wall time, input tokens
(and those the server's prefix cache served), output tokens, retries; then per mode the share of distinct
non-empty fields and what the corrective retries cost against the first attempts' input tokens.

    PYTHONPATH=$PWD /work/main/.venv/bin/python benchmarks/bench_local_model.py [--modes after,standard,before]

Skips (exit 0, one sentence) when the GGUF or xllamacpp is absent. Slow: ~12-20 min per paper and mode on
2 cores. The "runner" half below uses only APIs main had before issue 14, so it runs under both trees.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
MODEL_PATH = Path(os.environ.get("CHATPAPER_BENCH_GGUF", "/work/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"))
MODEL_NAME = "qwen2.5-coder-1.5b-instruct"
MIN_MODEL_BYTES = 1_000_000_000  # the Q4_K_M file is ~1.1 GB: a smaller one is a partial assembly
CORPUS = ROOT.parent / "shared" / "corpus"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus")
# One English and one Chinese paper, both short: ADADELTA is the paper of the report.
PAPERS = (("1212.5701.pdf", "en"), ("imbalanced-emotion-classification-based-on-multi-channel-lstm.pdf", "zh"))
CONTEXT_WINDOW = 8000  # what the user set with CHATPAPER_CONTEXT_WINDOW
SERVER_N_CTX = 8192
TIMEOUT_SECONDS = 3600.0  # one slot serves four stages in turn: a request may wait for three others
STAGES = ("metadata", "summary", "methods", "conclusion")
TARGET_DISTINCT, TARGET_CORRECTION = 0.90, 0.40
# A failed stage counts as this many fields, none distinct (its schema's minimum: 5 points + 5 takeaways ...).
FAILED_STAGE_FIELDS = {"summary": 10, "methods": 3, "conclusion": 4, "metadata": 0}


# --------------------------------------------------------------------------- runner (old and new trees)


def run_one(pdf: Path, lang: str, out: Path, threads: int) -> None:
    """Serve the GGUF, digest `pdf` in `lang` with whatever chatpaper is on sys.path, write a JSON log."""
    import httpx2
    import xllamacpp

    from chatpaper.chain import summarize
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # this checkout's test double
    from fake_llm import stage_of

    from chatpaper.llm.openai_compat import OpenAICompatProvider
    from chatpaper.reading import read_paper
    from chatpaper.settings import Settings

    params = xllamacpp.CommonParams()
    params.model.path = str(MODEL_PATH)
    params.hostnames = ["127.0.0.1"]
    params.port = 0
    params.n_ctx = SERVER_N_CTX
    params.n_parallel = 1  # a laptop's server: one slot, requests served in turn
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.verbosity = -1
    server = xllamacpp.Server(params)
    port = urlparse(server.listening_address).port
    usage = threading.local()

    def keep_usage(response) -> None:  # the server's own usage figures, prefix-cache hits included
        response.read()
        try:
            usage.last = json.loads(response.content).get("usage") or {}
        except ValueError:
            usage.last = {}

    calls: list[dict] = []

    class Metered(OpenAICompatProvider):
        def generate(self, request):
            started = time.perf_counter()
            usage.last = {}
            response = super().generate(request)
            details = usage.last.get("prompt_tokens_details") or {}
            calls.append({"stage": stage_of(request), "retry": bool(request.history),
                          "fields": list(request.schema_model.model_fields) if request.schema_model else [],
                          "input": int(usage.last.get("prompt_tokens") or response.input_tokens),
                          "cached": int(details.get("cached_tokens") or 0),
                          "output": int(usage.last.get("completion_tokens") or response.output_tokens),
                          "seconds": time.perf_counter() - started})
            return response

    client = httpx2.Client(event_hooks={"response": [keep_usage]}, timeout=TIMEOUT_SECONDS)
    provider = Metered(base_url=f"http://127.0.0.1:{port}/v1", model=MODEL_NAME, api_key=None, http_client=client,
                       options={"context_window": CONTEXT_WINDOW, "timeout_seconds": TIMEOUT_SECONDS,
                                "max_retries": 0})
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(cache_dir=Path(tmp) / "cache", context_window=CONTEXT_WINDOW,
                            llm_timeout_seconds=TIMEOUT_SECONDS)
        paper = read_paper(str(pdf), out_dir=Path(tmp) / "out", settings=settings)
        started = time.perf_counter()
        digest = summarize(paper, provider=provider, lang=lang, settings=settings, cache=False)
        wall = time.perf_counter() - started
    out.write_text(json.dumps({"digest": json.loads(digest.model_dump_json()), "calls": calls, "wall": wall},
                              ensure_ascii=False), encoding="utf-8")
    del server


# --------------------------------------------------------------------------- measuring (this tree)


def distinct_fields(digest_json: dict) -> tuple[int, int]:
    """(distinct non-empty fields, fields): every point of summary, methods and conclusion, list items each one.

    The same test for both trees: issue 14's sentence rule (chatpaper.chain.distinct) applied to the final
    digest; an "after" digest's marks and dropped list items count as not distinct.
    """
    from chatpaper.chain.distinct import mark_repeats
    from chatpaper.chain.pipeline import STAGE_MODELS
    from chatpaper.models import Point

    digest, total, bad = digest_json, 0, 0
    records = {r["name"]: r for r in digest["provenance"]["stages"]}
    title = digest["header"]["title"]
    for stage in ("summary", "methods", "conclusion"):
        data = digest.get(stage)
        if data is None:
            total += FAILED_STAGE_FIELDS[stage]
            bad += FAILED_STAGE_FIELDS[stage]
            continue
        result = STAGE_MODELS[stage].model_validate(data)
        points = sum(1 if isinstance(v, Point) else len(v) for _, v in result if isinstance(v, (Point, list)))
        dropped = sum("[" in path for path in records.get(stage, {}).get("not_distinct", []))
        _, marked = mark_repeats(result, digest["lang"], title)
        total += points + dropped
        bad += len(marked) + dropped
    return total - bad, total


def corrections(calls: list[dict]) -> tuple[int, int, int]:
    """(first-attempt input tokens of the corrected stages, their retries' input, of it not from the cache)."""
    corrected = {c["stage"] for c in calls if c["retry"]}
    first = sum(c["input"] for c in calls if c["stage"] in corrected and not c["retry"])
    retry = sum(c["input"] for c in calls if c["retry"])
    fresh = sum(c["input"] - c["cached"] for c in calls if c["retry"])
    return first, retry, fresh


def report(label: str, log: dict) -> dict:
    stages = {r["name"]: r for r in log["digest"]["provenance"]["stages"]}
    for stage in STAGES:
        calls = [c for c in log["calls"] if c["stage"] == stage]
        retries = sum(c["retry"] for c in calls)
        asked = "; ".join(",".join(c["fields"]) for c in calls if c["retry"])
        record = stages.get(stage, {})
        print(f"{label} {stage:10s} wall {record.get('seconds', 0):7.1f} s  in {sum(c['input'] for c in calls):6d}"
              f" (cached {sum(c['cached'] for c in calls):6d})  out {sum(c['output'] for c in calls):5d}"
              f"  retries {retries}  status {record.get('status', '?')}" + (f"  retry fields [{asked}]" if asked else ""),
              flush=True)
    good, total = distinct_fields(log["digest"])
    first, retry, fresh = corrections(log["calls"])
    print(f"{label} total wall {log['wall']:.1f} s; distinct non-empty fields {good}/{total} ({good / max(total, 1):.0%});"
          f" corrections {retry} input tokens ({fresh} not from the prefix cache) against {first} for the first"
          f" attempts of the corrected stages: {retry / first if first else 0:.0%} ({fresh / first if first else 0:.0%}"
          " uncached)", flush=True)
    return {"good": good, "total": total, "first": first, "retry": retry, "fresh": fresh, "wall": log["wall"]}


def before_tree(ref: str | None, into: Path) -> tuple[str, Path]:
    """Export main's tree from before issue 14 (the parent of the commit that added distinct.py)."""
    if ref is None:
        added = subprocess.run(["git", "-C", str(ROOT), "log", "--diff-filter=A", "--format=%H", "--",
                                "chatpaper/chain/distinct.py"], capture_output=True, text=True, check=True)
        ref = added.stdout.split()[-1] + "^"
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return ref, into


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", default="after,standard,before", help="comma-separated: after, standard, before")
    parser.add_argument("--before-ref", help="git revision for 'before' (default: the parent of issue 14's first commit)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--logs", help="keep each run's JSON log (digest and calls) in this folder")
    parser.add_argument("--runner", nargs=3, metavar=("PDF", "LANG", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.runner:
        pdf, lang, out = args.runner
        run_one(Path(pdf), lang, Path(out), args.threads)
        return 0
    if not MODEL_PATH.is_file() or MODEL_PATH.stat().st_size < MIN_MODEL_BYTES:
        print(f"skipped: the Qwen2.5-Coder-1.5B GGUF is not at {MODEL_PATH} (or is smaller than 1 GB, a partial "
              "assembly); assemble it as DEVELOPERS.md describes.")
        return 0
    try:
        import xllamacpp  # noqa: F401
    except ImportError:
        print("skipped: xllamacpp is not installed (pip install 'chatpaper[local]'); it runs llama.cpp's server.")
        return 0
    missing = [name for name, _ in PAPERS if not (CORPUS / "pdfs" / name).is_file()]
    if missing:
        print(f"skipped: the corpus papers {', '.join(missing)} are not in {CORPUS / 'pdfs'}.")
        return 0
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    print(f"model {MODEL_PATH.name} ({MODEL_PATH.stat().st_size / 1e9:.2f} GB), n_ctx {SERVER_N_CTX}, context "
          f"window {CONTEXT_WINDOW}, {args.threads} threads, one slot", flush=True)
    results: dict[str, list[dict]] = {m: [] for m in modes}
    with tempfile.TemporaryDirectory() as tmp:
        logs = Path(args.logs) if args.logs else Path(tmp)
        logs.mkdir(parents=True, exist_ok=True)
        trees = {"after": ROOT, "standard": ROOT}
        profiles = {"after": "auto", "standard": "standard"}
        if "before" in modes:
            ref, tree = before_tree(args.before_ref, Path(tmp) / "before")
            trees["before"] = tree
            print(f"before = git {ref}", flush=True)
        for mode in modes:  # a mode on both papers before the next: the first mode's figures come first
            for name, lang in PAPERS:
                out = logs / f"{mode}-{name}.json"
                env = {**os.environ, "PYTHONPATH": str(trees[mode]), "CHATPAPER_CONTEXT_WINDOW": str(CONTEXT_WINDOW)}
                env.pop("CHATPAPER_MODEL_PROFILE", None)  # the old tree has no such setting
                if mode in profiles:
                    env["CHATPAPER_MODEL_PROFILE"] = profiles[mode]
                command = [sys.executable, str(Path(__file__).resolve()), "--threads", str(args.threads),
                           "--runner", str(CORPUS / "pdfs" / name), lang, str(out)]
                done = subprocess.run(command, env=env, cwd=trees[mode], capture_output=True, text=True)
                if done.returncode != 0 or not out.exists():
                    print(f"{mode} {name}: the run failed ({done.stderr.strip().splitlines()[-1:]})", flush=True)
                    continue
                results[mode].append(report(f"{mode:8s} {name[:24]:24s} [{lang}]", json.loads(out.read_text())))
    for mode, rows in results.items():
        if not rows:
            continue
        good, total = sum(r["good"] for r in rows), sum(r["total"] for r in rows)
        first, retry, fresh = (sum(r[k] for r in rows) for k in ("first", "retry", "fresh"))
        print(f"{mode}: distinct non-empty fields {good}/{total} = {good / max(total, 1):.0%} "
              f"(target >= {TARGET_DISTINCT:.0%}); corrections {retry / first if first else 0:.0%} of first attempts' "
              f"input tokens, {fresh / first if first else 0:.0%} uncached (target <= {TARGET_CORRECTION:.0%}); "
              f"wall {sum(r['wall'] for r in rows):.0f} s", flush=True)
    for base in ("standard", "before"):
        if results.get(base) and results.get("after"):
            b, a = results[base], results["after"]
            print(f"after/{base} wall time ratio "
                  f"{sum(r['wall'] for r in a) / max(sum(r['wall'] for r in b), 1e-9):.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

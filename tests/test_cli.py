"""`python -m chatpaper` as a user runs it: real process, real PDFs, no network."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from chatpaper.models import Digest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "chatpaper-example.pdf"


def run_cli(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["CHATPAPER_CACHE_DIR"] = str(tmp_path / "cache")
    env["CHATPAPER_PROVIDER"] = "auto"
    return subprocess.run([sys.executable, "-m", "chatpaper", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def assert_one_sentence_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for needle in needles:
        assert needle in lines[0]


def test_parse_writes_the_paper_json_contract(tmp_path):
    out = tmp_path / "out"
    proc = run_cli("parse", str(EXAMPLE), "--out", str(out), tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    paper = json.loads((out / "paper.json").read_text())
    assert paper["source"]["kind"] == "pdf" and len(paper["source"]["sha256"]) == 64
    assert paper["title"].startswith("ChatPaper: Faithful Structured Digests")
    assert paper["pages"] == 2
    tops = [s["title"] for s in paper["sections"] if s["level"] == 1]
    assert "Introduction" in tops and "Conclusion" in tops
    assert [s["role"] for s in paper["sections"] if s["level"] == 1].count("method") == 1
    assert paper["figures"], "the example has figures"
    for fig in paper["figures"]:
        assert fig["label"].startswith("Figure ")
        assert (out / fig["image"]).is_file()
    assert "https://github.com/chatpaper/chatpaper" in paper["code_urls"]


def test_parse_refuses_a_file_that_is_not_a_pdf(tmp_path):
    bogus = tmp_path / "notes.pdf"
    bogus.write_text("these are my notes, not a PDF")
    proc = run_cli("parse", str(bogus), "--out", str(tmp_path / "out"), tmp_path=tmp_path)
    assert_one_sentence_error(proc, "PDF")
    assert not (tmp_path / "out" / "paper.json").exists()


def test_parse_refuses_a_malformed_arxiv_id_and_shows_an_accepted_form(tmp_path):
    proc = run_cli("parse", "not-an-id", "--out", str(tmp_path / "out"), tmp_path=tmp_path)
    assert_one_sentence_error(proc, "2405.15619")


def test_parse_refuses_a_foreign_url_without_fetching_it(tmp_path):
    proc = run_cli("parse", "https://example.com/abs/2405.15619", "--out", str(tmp_path / "o"), tmp_path=tmp_path)
    assert_one_sentence_error(proc)


def test_summarize_offline_by_default_without_keys(tmp_path):
    out = tmp_path / "digest"
    proc = run_cli("summarize", str(EXAMPLE), "--lang", "en", "--out", str(out), tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    digest = Digest.model_validate_json((out / "digest.json").read_text())
    assert digest.provenance.provider == "offline" and digest.provenance.extractive
    assert digest.summary and digest.methods and digest.conclusion and digest.metadata
    assert all(1 <= p <= 2 for point in digest.summary.key_takeaways for p in point.pages)
    markdown = (out / "digest.md").read_text()
    assert digest.header.title in markdown
    assert "no LLM" in markdown
    for fig in digest.figures:
        assert (out / fig.image).is_file()


def test_summarize_with_an_unknown_provider_is_one_sentence(tmp_path):
    proc = run_cli("summarize", str(EXAMPLE), "--provider", "nosuch", "--out", str(tmp_path / "o"),
                   tmp_path=tmp_path)
    assert_one_sentence_error(proc, "nosuch")


@pytest.mark.parametrize("provider", ["gemini", "openai"])
def test_summarize_with_a_keyed_provider_and_no_key_names_the_variable(tmp_path, provider):
    proc = run_cli("summarize", str(EXAMPLE), "--provider", provider, "--out", str(tmp_path / "o"),
                   tmp_path=tmp_path)
    assert_one_sentence_error(proc, "API_KEY")


def test_a_malformed_setting_variable_is_one_sentence_naming_it(tmp_path, monkeypatch):
    monkeypatch.setenv("CHATPAPER_MAX_PAGES", "many")  # run_cli passes the environment on
    proc = run_cli("parse", str(EXAMPLE), "--out", str(tmp_path / "out"), tmp_path=tmp_path)
    assert_one_sentence_error(proc, "CHATPAPER_MAX_PAGES")


def test_an_out_folder_that_cannot_be_made_is_one_sentence(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    proc = run_cli("parse", str(EXAMPLE), "--out", str(blocker / "out"), tmp_path=tmp_path)
    assert_one_sentence_error(proc, str(blocker / "out"))


def test_digest_refuses_a_rate_that_is_not_positive(tmp_path):
    proc = run_cli("digest", "--pdf-dir", str(tmp_path), "--rpm", "-1", "--out", str(tmp_path / "o"),
                   tmp_path=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--rpm: '-1' is not a positive number" in proc.stderr


def test_a_local_file_without_pdf_suffix_is_read_as_a_file(tmp_path):
    paper_file = tmp_path / "downloaded-paper"
    paper_file.write_bytes(EXAMPLE.read_bytes())
    proc = run_cli("parse", str(paper_file), "--out", str(tmp_path / "out"), tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "out" / "paper.json").read_text())["source"]["filename"] == "downloaded-paper"


def test_summarize_says_on_stderr_which_provider_writes_the_result(tmp_path):
    proc = run_cli("summarize", str(EXAMPLE), "--lang", "en", "--out", str(tmp_path / "o"), tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[0] == "offline: extractive, no LLM; set GEMINI_API_KEY for written summaries"
    assert "offline" not in proc.stdout  # stdout stays the result's paths


def test_digest_says_on_stderr_which_provider_writes_the_post(tmp_path):
    papers = tmp_path / "papers"
    papers.mkdir()
    (papers / "example.pdf").write_bytes(EXAMPLE.read_bytes())
    proc = run_cli("digest", "--pdf-dir", str(papers), "--lang", "en", "--out", str(tmp_path / "posts"),
                   tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "offline: extractive, no LLM" in proc.stderr.splitlines()[0]


def test_cli_errors_speak_of_paths_not_uploads(tmp_path):
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    proc = run_cli("parse", str(empty), "--out", str(tmp_path / "o"), tmp_path=tmp_path)
    assert_one_sentence_error(proc, "empty.pdf", "path")
    assert "upload" not in proc.stderr.lower()


def test_cli_openai_error_names_the_documented_variable_and_no_paste(tmp_path):
    proc = run_cli("summarize", str(EXAMPLE), "--provider", "openai", "--out", str(tmp_path / "o"),
                   tmp_path=tmp_path)
    assert_one_sentence_error(proc, "OPENAI_API_KEY", "CHATPAPER_OPENAI_BASE_URL")
    assert "paste" not in proc.stderr


def test_for_cli_rewords_every_visitor_phrase_the_library_uses():
    from chatpaper.errors import for_cli

    assert for_cli("No Gemini API key was given; set GEMINI_API_KEY or paste a key.") == (
        "No Gemini API key was given; set GEMINI_API_KEY.")
    assert "upload" not in for_cli("Only arXiv links are read, not \"x\"; give e.g. 2405.15619, or upload the PDF itself.")
    assert for_cli("x.pdf is empty; upload the paper's PDF file again.") == (
        "x.pdf is empty; give the path of the paper's PDF file.")


# Modules whose sentences only a visitor of the app can meet (typed fields, a visitor's own endpoint).
VISITOR_ONLY_MODULES = {"fields.py", "endpoints.py"}  # and the whole of chatpaper/ui/
VISITOR_ONLY_FUNCTIONS = {"_visitor_error"}  # openai_compat: the errors of a visitor's own endpoint
APP_WORDS = re.compile(r"\b(upload\w*|paste\w*|box)\b", re.IGNORECASE)


def _error_sentences() -> list[tuple[str, int, str]]:
    """(file, line, text) of every sentence the library puts in an error or a message constant: the
    literal parts of `...Error(...)` arguments and of UPPER_CASE string constants, outside visitor-only code."""
    import ast

    found = []
    for path in sorted((ROOT / "chatpaper").rglob("*.py")):
        in_app = path.relative_to(ROOT / "chatpaper").parts[0] == "ui"
        if in_app or path.name in VISITOR_ONLY_MODULES or path.name == "errors.py":  # errors.py holds the rewording itself
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name in VISITOR_ONLY_FUNCTIONS
                for n in ast.walk(f)}
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            roots: list[ast.AST] = []
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")).endswith("Error"):
                roots = list(node.args)
            elif isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) and t.id.isupper() for t in node.targets):
                roots = [node.value]
            for part in (n for r in roots for n in ast.walk(r)):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    found.append((path.name, part.lineno, part.value))
    return found


def test_no_error_the_cli_can_print_speaks_of_uploading_pasting_or_boxes():
    """Every library sentence is worded for the visitor; for_cli must reword each one the CLI can print."""
    from chatpaper.errors import for_cli

    sentences = _error_sentences()
    assert any("upload the PDF" in text for _, _, text in sentences)  # the scan sees the library's sentences
    left = [(name, line, for_cli(text)) for name, line, text in sentences if APP_WORDS.search(for_cli(text))]
    assert left == []


def test_an_unknown_model_is_told_as_the_box_in_the_app_and_as_the_option_in_the_cli():
    from chatpaper.errors import ANOTHER_MODEL, for_cli

    assert "Model box" in ANOTHER_MODEL
    assert for_cli(f"Gemini has no model named 'gemini-9'; {ANOTHER_MODEL}") == (
        "Gemini has no model named 'gemini-9'; choose another with --model, or leave it out for the provider's default.")

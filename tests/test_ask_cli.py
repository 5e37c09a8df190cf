"""`python -m chatpaper ask SOURCE "question"`: offline answers are the retrieved passages, with pages;
bad input exits 1 with one sentence."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chatpaper.__main__ import main
from chatpaper.ask.text import RETRIEVED_LABEL
from tests.ask_pdfs import ADAM_LIKE, paper_pdf

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def pdf(tmp_path) -> Path:
    path = tmp_path / "steps.pdf"
    path.write_bytes(paper_pdf(ADAM_LIKE))
    return path


def test_offline_answer_prints_the_best_passages_with_their_pages(pdf, tmp_path, capsys):
    code = main(["--cache-dir", str(tmp_path / "cache"), "ask", str(pdf), "What test accuracy on CIFAR-10?",
                 "--provider", "offline"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith(RETRIEVED_LABEL)
    first = out.splitlines()[1]
    assert first.startswith("[1] p. 2 · Experiments")
    assert "91.3% test accuracy" in out.split("[2]")[0]


def test_json_output_is_the_answer_model(pdf, tmp_path, capsys):
    code = main(["--cache-dir", str(tmp_path / "cache"), "ask", str(pdf), "How is the step size adapted?",
                 "--provider", "offline", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["kind"] == "retrieved" and data["text"] == ""
    assert data["passages"][0]["passage"]["page"] == 1 and data["passages"][0]["rank"] == 1
    assert "running averages" in data["passages"][0]["passage"]["text"]


def test_the_index_is_cached_under_the_cache_dir(pdf, tmp_path, capsys):
    cache = tmp_path / "cache"
    main(["--cache-dir", str(cache), "ask", str(pdf), "batch size?", "--provider", "offline"])
    assert list((cache / "ask").glob("*/*/passages.json"))


@pytest.mark.parametrize("question, sentence", [
    ("   ", "Type a question about the paper"),
    ("why " * 200, "over the 500-character limit"),
])
def test_a_bad_question_exits_1_with_one_sentence(pdf, tmp_path, question, sentence):
    result = subprocess.run(
        [sys.executable, "-m", "chatpaper", "--cache-dir", str(tmp_path / "cache"), "ask", str(pdf), question,
         "--provider", "offline"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and sentence in lines[0]
    assert "Traceback" not in result.stderr


def test_a_missing_file_exits_1(tmp_path, capsys):
    code = main(["--cache-dir", str(tmp_path / "cache"), "ask", str(tmp_path / "nope.pdf"), "What?",
                 "--provider", "offline"])
    assert code == 1
    assert capsys.readouterr().err.startswith("error: Cannot open nope.pdf")


@pytest.fixture()
def scripted():
    from fake_llm import ScriptedProvider

    from chatpaper.llm.registry import register_provider, unregister_provider

    replies: list[str] = []
    provider = ScriptedProvider(lambda request: replies.pop(0))
    register_provider("scripted", lambda: provider)
    yield replies, provider
    unregister_provider("scripted")


def test_a_model_answer_prints_the_answer_then_each_quote_with_its_page(pdf, tmp_path, capsys, scripted):
    replies, provider = scripted
    replies.append(json.dumps({"answerable": True, "answer": "91.3% on CIFAR-10.", "quotes": [
        {"page": 1, "quote": "The adaptive rule reaches 91.3% test accuracy"},
        {"page": 2, "quote": "We train a convolutional network on the CIFAR-10 data set for 45 epochs"}]}))
    code = main(["--cache-dir", str(tmp_path / "cache"), "ask", str(pdf), "What test accuracy on CIFAR-10?",
                 "--provider", "scripted", "--lang", "en"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert lines[0] == "91.3% on CIFAR-10."
    assert lines[1] == "[1] p. 2 (found on this page, not the one the model cited)"
    assert lines[2].strip() == "“The adaptive rule reaches 91.3% test accuracy”"
    assert lines[3] == "[2] p. 2"
    assert "<passages>" in provider.history[0].prompt


def test_json_output_of_a_declined_answer_says_why(pdf, tmp_path, capsys, scripted):
    replies, _ = scripted
    replies.append(json.dumps({"answerable": False, "answer": "", "quotes": []}))
    code = main(["--cache-dir", str(tmp_path / "cache"), "ask", str(pdf), "训练用了多少块 GPU？ How many GPUs for training?",
                 "--provider", "scripted", "--lang", "zh", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["kind"] == "not_in_paper" and data["declined"] == "model"
    assert data["text"] == "论文中没有提到这一点。" and data["passages"]


def test_a_provider_failure_exits_1_with_its_sentence(pdf, tmp_path, capsys, scripted):
    replies, _ = scripted
    replies += ["not json", "still not json"]
    code = main(["--cache-dir", str(tmp_path / "cache"), "ask", str(pdf), "What test accuracy on CIFAR-10?",
                 "--provider", "scripted"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "not the answer format asked for" in err

"""The app owns no logic the CLI lacks: the page, `python -m chatpaper` and the library say the same thing."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from chatpaper import ui
from chatpaper.__main__ import main
from chatpaper.llm.registry import chosen_provider, get_provider
from chatpaper.models import Digest
from chatpaper.settings import Settings, load_settings
from chatpaper.ui import evidence as ui_evidence

EXAMPLE_PDF = ui.EXAMPLE_PDF

ENDPOINT = "http://127.0.0.1:9/v1"  # never contacted: building a provider opens no connection


def cli_provider_line(capsys, tmp_path, *extra: str) -> str:
    """The line `summarize` prints once it has chosen a provider (it then stops: the PDF does not exist)."""
    assert main(["summarize", str(tmp_path / "missing.pdf"), "--out", str(tmp_path / "out"), *extra]) == 1
    return capsys.readouterr().err.splitlines()[0]


def test_an_endpoint_without_a_key_is_the_openai_provider_on_the_page_in_the_cli_and_the_library(
        monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CHATPAPER_OPENAI_BASE_URL", ENDPOINT)
    settings = load_settings({})
    assert chosen_provider("auto", settings=settings) == "openai"
    assert get_provider("auto", settings=settings).name == "openai"
    assert "Offline mode" not in ui.startup_notice(settings)  # the page opened with it before
    assert cli_provider_line(capsys, tmp_path).startswith("openai: ")


def test_with_nothing_configured_all_three_say_offline(tmp_path, capsys):
    settings = load_settings({})
    assert chosen_provider("auto", settings=settings) == "offline"
    assert get_provider("auto", settings=settings).name == "offline"
    assert ui.startup_notice(settings).startswith("**Offline mode.**")
    assert cli_provider_line(capsys, tmp_path).startswith("offline: extractive, no LLM")


@pytest.mark.parametrize("argv", [["summarize", "paper.pdf", "--out", "o"], ["ask", "paper.pdf", "why?"],
                                  ["digest", "--query", "x", "--out", "o"]])
def test_every_command_that_calls_a_model_takes_the_endpoint_the_app_takes_in_its_base_url_box(argv):
    from chatpaper.__main__ import build_parser

    assert build_parser().parse_args([*argv, "--base-url", ENDPOINT]).base_url == ENDPOINT


def test_base_url_on_the_command_line_makes_auto_pick_the_openai_provider(tmp_path, capsys):
    assert cli_provider_line(capsys, tmp_path, "--base-url", ENDPOINT).startswith("openai: ")
    assert main(["summarize", "x.pdf", "--out", str(tmp_path / "o"), "--base-url", "http://a b"]) == 1
    assert "base URL holds spaces" in capsys.readouterr().err  # the same check as the app's box


PAGE_MARK = re.compile(r"\[p\. \d+(?:, \d+)*\]")


def test_a_chinese_digest_has_the_same_labels_and_page_marks_on_the_page_in_the_file_and_in_the_post(tmp_path):
    from chatpaper.render.markdown import labels
    from chatpaper.render.post import PostPaper, paper_block

    settings = Settings(cache_dir=tmp_path / "cache")
    final = list(ui.run_summary("", EXAMPLE_PDF, "zh", "offline", "", "", "", settings=settings))[-1]
    assert final.status.startswith("✅"), final.status
    page = "\n".join(final.sections.values())
    [served_md] = [Path(p) for p in final.downloads if p.endswith(".md")]
    downloaded = served_md.read_text(encoding="utf-8")

    assert main(["--cache-dir", str(tmp_path / "cache"), "summarize", str(EXAMPLE_PDF), "--lang", "zh",
                 "--provider", "offline", "--out", str(tmp_path / "cli")]) == 0
    cli_md = (tmp_path / "cli" / "digest.md").read_text(encoding="utf-8")
    digest = Digest.model_validate_json((tmp_path / "cli" / "digest.json").read_text(encoding="utf-8"))
    post = paper_block(PostPaper(digest=digest), "zh")

    zh, en = labels("zh"), labels("en")
    for key in ("summary", "takeaways", "methods", "conclusion", "innovation", "performance", "workload"):
        for text in (page, downloaded, cli_md):
            assert zh[key] in text, (key, text[:300])
        assert en[key] not in page  # the page spoke English around Chinese points before
    assert zh["keywords"] in page and zh["keywords"] in downloaded and zh["authors"] in ui.format_header(
        digest.header, "zh")

    chosen = [caption for _, caption in final.gallery[:len(digest.figures)]]  # the digest's figures come first
    assert chosen and all(caption.startswith("图 ") and "页）" in caption for caption in chosen)
    assert all(f"*{caption}*" in downloaded for caption in chosen)  # the .md's figure lines, word for word

    panel = ui_evidence.panel_html(final.evidence)  # the evidence panel names stages and points alike
    assert f"<h4>{zh['summary']}</h4>" in panel and f"<b>{zh['background']}</b>" in panel
    assert f"<b>{en['background']}</b>" not in panel

    marks = sorted(PAGE_MARK.findall(page))  # every point shows once on the page and once in each file
    assert marks and "*(p." not in page and "(pp." not in page
    for text in (downloaded, cli_md, post):
        assert sorted(PAGE_MARK.findall(text)) == marks

"""The app owns no logic the CLI lacks: the page, `python -m chatpaper` and the library say the same thing."""
from __future__ import annotations

import pytest

from chatpaper import ui
from chatpaper.__main__ import main
from chatpaper.llm.registry import chosen_provider, get_provider
from chatpaper.settings import load_settings

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

"""Every command the README shows works as written after set-up command 1 (no network needed here)."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from chatpaper.__main__ import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CLI = ".venv/bin/chatpaper"


def bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, re.S)


def commands(block: str) -> list[str]:
    """The block's commands: continuation lines joined, comments and blank lines dropped."""
    joined = block.replace("\\\n", " ")
    return [line.split("  #")[0].strip() for line in joined.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


SETUP = commands(bash_blocks(README)[0])
CLI_COMMANDS = [c for block in bash_blocks(README) for c in commands(block) if c.startswith(CLI)]


def test_set_up_is_still_two_commands_and_the_first_installs_the_chatpaper_command():
    assert len(SETUP) == 2 and SETUP[1] == "bash .ci/run"
    steps = [s.strip() for s in SETUP[0].split("&&")]
    assert steps[0] == "python3 -m venv .venv" and steps[-1] == ".venv/bin/python app.py"
    install = next(s for s in steps if s.startswith(".venv/bin/pip install") and " -e ." in f"{s} ")
    assert "--no-deps" in install  # requirements.txt already pinned the dependencies
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["chatpaper"] == "chatpaper.__main__:main"


def test_the_command_line_section_uses_the_installed_command():
    section = README.split("## Command line", 1)[1].split("\n## ", 1)[0]
    shown = commands(bash_blocks(section)[0])
    assert shown and all(c.startswith(CLI + " ") for c in shown), shown
    assert "python -m chatpaper" not in "\n".join(shown)  # the venv is never activated by set-up


@pytest.mark.parametrize("command", CLI_COMMANDS)
def test_every_readme_cli_command_parses(command):
    argv = shlex.split(command)[1:]
    args = build_parser().parse_args(argv)  # an unknown option or subcommand exits here
    assert args.command in {"parse", "summarize", "digest", "serve", "prune", "ask"}


def _offline_runnable(command: str) -> bool:
    argv = shlex.split(command)[1:]
    local_source = argv[0] == "summarize" and Path(ROOT, argv[1]).is_file()
    return (local_source or "--pdf-dir" in argv) and "--provider" not in argv


@pytest.mark.parametrize("command", [c for c in CLI_COMMANDS if _offline_runnable(c)])
def test_readme_commands_that_need_no_network_run_as_written(command, tmp_path):
    argv = shlex.split(command)[1:]
    out = argv.index("--out") + 1
    argv[out] = str(tmp_path / argv[out])  # the same command, writing under tmp instead of the checkout
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(CHATPAPER_CACHE_DIR=str(tmp_path / "cache"), CHATPAPER_PROVIDER="auto")
    proc = subprocess.run([sys.executable, "-m", "chatpaper", *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("offline: extractive, no LLM")


def test_the_files_the_readme_names_exist():
    for name in re.findall(r"`((?:benchmarks|examples|chatpaper)/[\w./-]+\.py)`", README):
        assert (ROOT / name).is_file(), name
    listed = re.search(r"`(bench_parse\.py)`.*?`(bench_batch\.py)`", README, re.S)
    assert listed
    for name in re.findall(r"`(bench_\w+\.py)`", README):
        assert (ROOT / "benchmarks" / name).is_file(), name

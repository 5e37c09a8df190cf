"""Parsed papers kept on disk, so a repeat (the app's next request, the CLI's next run) skips the parse.

One folder per source under `<cache_dir>/runs/`: `upload-<sha256[:16]>` for a PDF's bytes (a CLI path
or an app upload: the same bytes are the same folder), `arxiv-<id>v<N>` for an arXiv version. It holds
`paper-<PARSER_VERSION>.json` and the `figures/` that Paper links to, plus what the app keeps per paper
(figures.zip, source.pdf, evidence crops). The cache is bounded by `chatpaper.pruning` (size and age;
the app prunes after requests, the CLI after a run, `chatpaper prune` on demand); a hit `touch`es its
folder so pruning spares it longest.
"""
from __future__ import annotations

import re
from pathlib import Path

from chatpaper.models import Paper
from chatpaper.pruning import touch
from chatpaper.settings import Settings
from chatpaper.storage import write_atomic

# A folder name is the content hash's first 16 hex digits: 64 bits, no collision among any cache's papers.
FOLDER_HASH_CHARS = 16


def runs_dir(settings: Settings) -> Path:
    """Per-paper folders (parsed paper, figures) and the app's per-request outputs: never served as they are."""
    return settings.cache_dir / "runs"


def folder_name(text: str) -> str:
    """TEXT as one safe path component."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "paper"


def pdf_folder(sha256: str, settings: Settings) -> Path:
    """The folder of a PDF's bytes, by their sha256 hex digest ("upload-": the app named them first; a CLI
    path shares them)."""
    return runs_dir(settings) / f"upload-{sha256[:FOLDER_HASH_CHARS]}"


def arxiv_folder(versioned_id: str, settings: Settings) -> Path:
    """The folder of one arXiv version ("2405.15619v2"): a new version is another paper."""
    return runs_dir(settings) / folder_name(f"arxiv-{versioned_id}")


def paper_file(folder: Path) -> Path:
    """The one cache key of a stored Paper beside its folder's source: the parser's version."""
    from chatpaper.pdf import version  # noqa: PLC0415 - read at call time; chatpaper.pdf loads PyMuPDF when first needed

    return folder / f"paper-{version.PARSER_VERSION}.json"


def cached_paper(folder: Path) -> Paper | None:
    """The Paper an earlier run parsed from the same bytes or arXiv version, by this parser; else None."""
    path = paper_file(folder)
    if not path.is_file():
        return None
    try:
        paper = Paper.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # a half-written or older file: parsed again, and overwritten
        return None
    touch(folder)
    return paper


def store_paper(paper: Paper, folder: Path) -> None:
    write_atomic(paper_file(folder), paper.model_dump_json())

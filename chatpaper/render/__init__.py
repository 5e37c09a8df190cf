"""Digest -> Markdown (the seed post's per-paper block) and JSON; write_digest saves both."""
from __future__ import annotations

from pathlib import Path

from chatpaper.models import Digest
from chatpaper.render.json import load_json, render_json
from chatpaper.render.markdown import provenance_line, render_markdown
from chatpaper.storage import ensure_dir, write_atomic

__all__ = ["load_json", "provenance_line", "render_json", "render_markdown", "write_digest"]


def write_digest(digest: Digest, out_dir: Path) -> list[Path]:
    """Write out_dir/digest.md and out_dir/digest.json; figure links whose PNG is missing become captions only.

    The figures themselves are already in out_dir/figures/ (written by read_paper).
    """
    out_dir = ensure_dir(Path(out_dir))
    figures = [f if f.image is None or (out_dir / f.image).is_file() else f.model_copy(update={"image": None})
               for f in digest.figures]
    shown = digest.model_copy(update={"figures": figures})
    md, js = out_dir / "digest.md", out_dir / "digest.json"
    write_atomic(md, render_markdown(shown))
    write_atomic(js, render_json(digest))
    return [md, js]

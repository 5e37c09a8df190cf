"""Digest -> JSON (UTF-8, non-ASCII kept as is), and back."""
from __future__ import annotations

from chatpaper.models import Digest


def render_json(digest: Digest, *, indent: int = 2) -> str:
    return digest.model_dump_json(indent=indent)


def load_json(text: str) -> Digest:
    return Digest.model_validate_json(text)

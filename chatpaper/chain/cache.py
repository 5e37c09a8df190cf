"""DigestCache: finished stages in SQLite (stdlib), so a repeat makes no LLM call and a broken run resumes.

Keyed by paper identity (arXiv ID + version, or the PDF's sha256, with a fingerprint of the text the
stages read: a parser fix that changes a paper's text asks again, one that changes nothing keeps the
cache), provider, model, language, prompt version and stage. Values are JSON (never pickle). One connection behind a lock, so the
four stage threads can share it; WAL so several processes (a batch, the app) can too.
"""
from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError

from chatpaper.models import Paper, StageRecord

log = logging.getLogger(__name__)

CACHE_FILE = "digests.sqlite"  # in settings.cache_dir; the app, the CLI, a batch and pruning share it

# What the stages read of a Paper; the rest (figure crops, parser versions, warnings) does not change a stage.
_STAGE_INPUT = {"title", "authors", "affiliations", "abstract", "language", "title_en", "abstract_en", "keywords",
                "pages", "sections", "code_urls", "metadata", "arxiv_stamp", "page_texts"}
_FINGERPRINT_CHARS = 16  # 64 bits of sha256: no two parses of one paper collide


def paper_cache_key(paper: Paper) -> str:
    """The paper's identity and a fingerprint of its text as the stages read it (and the figures' captions)."""
    content = paper.model_dump(mode="json", include=_STAGE_INPUT)
    content["figures"] = [(f.label, f.caption, f.page) for f in paper.figures]
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    return f"{paper.source.key}#{digest[:_FINGERPRINT_CHARS]}"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS stages (
    paper_key TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    lang TEXT NOT NULL,
    prompt_version TEXT NOT NULL,
    stage TEXT NOT NULL,
    result TEXT NOT NULL,
    record TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (paper_key, provider, model, lang, prompt_version, stage)
)
"""


@dataclass(frozen=True)
class CacheKey:
    paper_key: str
    provider: str
    model: str
    lang: str
    prompt_version: str
    stage: str

    def as_tuple(self) -> tuple[str, ...]:
        return (self.paper_key, self.provider, self.model, self.lang, self.prompt_version, self.stage)


class DigestCache:
    """Stage results by `CacheKey`. Errors reading or writing degrade to a miss, never to a failure."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = sqlite3.connect(
            self.path, timeout=30, check_same_thread=False, isolation_level=None
        )
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(_SCHEMA)

    def get(self, key: CacheKey, model: type[BaseModel]) -> tuple[BaseModel, StageRecord] | None:
        """The cached result and its original record, or None (also when the row no longer validates)."""
        with self._lock:
            if self._conn is None:
                return None
            try:
                row = self._conn.execute(
                    "SELECT result, record FROM stages WHERE paper_key=? AND provider=? AND model=? AND lang=? "
                    "AND prompt_version=? AND stage=?",
                    key.as_tuple(),
                ).fetchone()
            except sqlite3.Error as exc:
                log.warning("digest cache read failed (%s); treating as a miss", exc)
                return None
        if row is None:
            return None
        try:
            return model.model_validate_json(row[0]), StageRecord.model_validate_json(row[1])
        except ValidationError:  # written by an older schema: recompute
            return None

    def put(self, key: CacheKey, result: BaseModel, record: StageRecord) -> None:
        with self._lock:
            if self._conn is None:
                return
            try:
                self._conn.execute(
                    "INSERT OR REPLACE INTO stages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*key.as_tuple(), result.model_dump_json(), record.model_dump_json(), time.time()),
                )
            except sqlite3.Error as exc:
                log.warning("digest cache write failed (%s); the stage will be recomputed next time", exc)

    def clear(self, paper_key: str | None = None) -> int:
        """Forget one paper's stages, whatever text they were written from (`paper_key` is the source key,
        e.g. "arxiv:1212.5701v1"), or everything; returns the rows removed."""
        with self._lock:
            if self._conn is None:
                return 0
            if paper_key is None:
                cur = self._conn.execute("DELETE FROM stages")
            else:
                cur = self._conn.execute("DELETE FROM stages WHERE paper_key=? OR substr(paper_key, 1, ?)=?",
                                         (paper_key, len(paper_key) + 1, paper_key + "#"))
            return cur.rowcount

    def __len__(self) -> int:
        with self._lock:
            if self._conn is None:
                return 0
            return self._conn.execute("SELECT COUNT(*) FROM stages").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> DigestCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<DigestCache {self.path}>"


def open_digest_cache(cache_dir: Path) -> tuple[DigestCache | None, str | None]:
    """(the shared digest cache in `cache_dir`, None) or (None, the sentence saying why there is none).

    A cache that cannot be opened costs repeat calls, not the digest: callers carry on without one.
    """
    try:
        return DigestCache(Path(cache_dir) / CACHE_FILE), None
    except (OSError, sqlite3.Error) as exc:
        return None, f"The digest cache at {cache_dir} could not be opened ({exc}); nothing was cached."

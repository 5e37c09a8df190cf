"""On-disk cache of arXiv metadata (sqlite3, JSON rows) and PDFs (files), keyed by ID and version.

Layout under `settings.cache_dir / "arxiv"`:
  metadata.sqlite   one row per (arxiv_id, version) plus a "latest version" pointer per ID
  pdfs/<id>v<n>.pdf the downloaded PDFs ("/" of old-style IDs becomes "_")
Writes are atomic (temp file + rename), so a concurrent reader never sees half a PDF.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chatpaper.errors import ChatPaperError
from chatpaper.models import ArxivMetadata
from chatpaper.storage import ensure_dir, probe_writable, write_atomic

# How long "2405.15619 means v2" is trusted before asking arXiv again for a newer version.
LATEST_TTL = timedelta(hours=24)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS metadata (
    arxiv_id TEXT NOT NULL, version INTEGER NOT NULL, json TEXT NOT NULL, fetched_at TEXT NOT NULL,
    PRIMARY KEY (arxiv_id, version));
CREATE TABLE IF NOT EXISTS latest (
    arxiv_id TEXT PRIMARY KEY, version INTEGER NOT NULL, resolved_at TEXT NOT NULL);
"""


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ArxivCache:
    """Metadata rows and PDF files for arXiv papers; safe to share between threads and processes."""

    def __init__(
        self,
        root: Path,
        *,
        latest_ttl: timedelta = LATEST_TTL,
        clock: Callable[[], datetime] = _utcnow,
    ):
        self.root = Path(root)
        self.pdf_dir = self.root / "pdfs"
        self.db_path = self.root / "metadata.sqlite"
        self.latest_ttl = latest_ttl
        self.clock = clock
        ensure_dir(self.pdf_dir)
        try:
            with closing(self._connect()) as db, db:
                db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:  # e.g. a file that is not a database
            probe_writable(self.root)  # a read-only or full folder is said as such, not as damage
            raise ChatPaperError(
                f"The arXiv cache {self.db_path} is damaged; delete that file or set CHATPAPER_CACHE_DIR elsewhere."
            ) from exc

    def _connect(self) -> sqlite3.Connection:
        # One short-lived connection per call: sqlite3 connections must not cross threads.
        db = sqlite3.connect(self.db_path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    # ------------------------------------------------------------------ metadata

    def get(self, arxiv_id: str, version: int | None) -> ArxivMetadata | None:
        """The cached metadata of that version; version None means the recently resolved latest."""
        with closing(self._connect()) as db:
            if version is None:
                row = db.execute("SELECT version, resolved_at FROM latest WHERE arxiv_id = ?", (arxiv_id,)).fetchone()
                if row is None or self.clock() - datetime.fromisoformat(row[1]) > self.latest_ttl:
                    return None
                version = row[0]
            row = db.execute(
                "SELECT json FROM metadata WHERE arxiv_id = ? AND version = ?", (arxiv_id, version)
            ).fetchone()
        return ArxivMetadata.model_validate_json(row[0]) if row else None

    def put(self, meta: ArxivMetadata, *, latest: bool = False) -> None:
        """Store one version's metadata; `latest` records that arXiv just called it the newest version."""
        self.put_many([meta], latest=latest)

    def put_many(self, metas: Iterable[ArxivMetadata], *, latest: bool = False) -> None:
        now = self.clock().isoformat()
        with closing(self._connect()) as db, db:
            for meta in metas:
                if meta.version is None:
                    continue  # arXiv always names a version; an unversioned record has no stable key
                db.execute(
                    "INSERT OR REPLACE INTO metadata VALUES (?, ?, ?, ?)",
                    (meta.arxiv_id, meta.version, meta.model_dump_json(), now),
                )
                if latest:
                    db.execute("INSERT OR REPLACE INTO latest VALUES (?, ?, ?)", (meta.arxiv_id, meta.version, now))

    # ------------------------------------------------------------------ PDFs

    def pdf_path(self, arxiv_id: str, version: int | None) -> Path:
        name = arxiv_id.replace("/", "_") + (f"v{version}" if version else "")
        return self.pdf_dir / f"{name}.pdf"

    def get_pdf(self, arxiv_id: str, version: int | None) -> Path | None:
        path = self.pdf_path(arxiv_id, version)
        return path if version and path.is_file() else None

    def put_pdf(self, arxiv_id: str, version: int | None, data: bytes) -> Path:
        path = self.pdf_path(arxiv_id, version)
        atomic_write(path, data)
        return path


def atomic_write(path: Path, data: bytes) -> None:
    """storage.write_atomic, fsynced: a downloaded PDF is worth keeping across a power cut."""
    write_atomic(path, data, durable=True)

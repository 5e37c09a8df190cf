"""Every file ChatPaper writes goes through here: whole or not at all, and one sentence when it cannot.

`write_atomic` writes a temp file in the target's folder and renames it over the target (atomic on POSIX
and Windows), so a reader never sees half a file, and a failure (a full disk, a read-only folder)
removes the temp file and raises StorageError, whose sentence says which folder and what to do.
"""
from __future__ import annotations

import errno
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from chatpaper.errors import StorageError

CACHE_HINT = "set CHATPAPER_CACHE_DIR to a writable folder"
OTHER_HINT = "make it writable or write somewhere else (e.g. another --out folder)"
_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}
_DENIED = {errno.EACCES, errno.EPERM, errno.EROFS}


def _in_cache(folder: Path) -> bool:
    """Whether `folder` is in the cache (CHATPAPER_CACHE_DIR or its default), whose setting the hint names."""
    from chatpaper.settings import cache_dir_from_environment  # noqa: PLC0415

    cache = cache_dir_from_environment()
    try:
        return Path(os.path.abspath(folder)).is_relative_to(os.path.abspath(cache))
    except ValueError:
        return False


def storage_error(exc: OSError, folder: Path) -> StorageError:
    """The sentence for an OSError met while writing into `folder`."""
    cache = _in_cache(folder)
    what = "cache folder" if cache else "folder"
    hint = CACHE_HINT if cache else OTHER_HINT
    if exc.errno in _FULL:
        elsewhere = "set CHATPAPER_CACHE_DIR to a folder on another disk" if cache else "write to another disk"
        return StorageError(f"The disk holding the {what} {folder} is full; free some space, or {elsewhere}.")
    if exc.errno in _DENIED:
        return StorageError(f"The {what} {folder} is not writable; {hint}.")
    reason = (exc.strerror or str(exc) or exc.__class__.__name__).lower()
    return StorageError(f"The {what} {folder} cannot be written ({reason}); {hint}.")


def ensure_dir(folder: Path) -> Path:
    """mkdir -p, or StorageError."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocking = folder  # refused: the sentence names the folder that refused, the nearest one that exists
        while exc.errno in _DENIED and not blocking.exists() and blocking.parent != blocking:
            blocking = blocking.parent
        raise storage_error(exc, blocking) from exc
    return folder


def _write(handle: BinaryIO, payload: bytes) -> None:  # one place a test can make the disk fill up
    handle.write(payload)


@contextmanager
def atomic_file(path: Path, *, durable: bool = False) -> Iterator[BinaryIO]:
    """A binary file that becomes `path` when the block ends well, and leaves nothing when it does not."""
    path = Path(path)
    ensure_dir(path.parent)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise storage_error(exc, path.parent) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise storage_error(exc, path.parent) from exc
        raise


def write_atomic(path: Path, data: bytes | str, *, durable: bool = False) -> Path:
    """Write `data` (str as UTF-8) to `path` whole, or raise StorageError leaving no partial or temp file.

    `durable` also fsyncs (for downloads worth keeping across a power cut; figures can be made again).
    """
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    with atomic_file(path, durable=durable) as handle:
        _write(handle, payload)
    return Path(path)


def probe_writable(folder: Path) -> None:
    """StorageError unless a file can be created (and removed) in `folder`, which is made if missing."""
    ensure_dir(folder)
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".probe-")
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise storage_error(exc, Path(folder)) from exc


# Entries carry a fixed date and mode, so the same files always zip to the same bytes (a download can be
# compared or cached by hash); 1980-01-01 is the earliest date the zip format can hold.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_ZIP_MODE = 0o644 << 16  # rw-r--r--, in the high bits where zip keeps Unix permissions


def zip_files(target: Path, entries: Iterable[tuple[Path, str]], *, compress: bool = True) -> Path:
    """Write `target` atomically from (file, name in the archive) pairs, in the order given.

    `compress=False` stores the bytes as they are (PNGs are compressed already; deflating them again only
    costs time).
    """
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with atomic_file(target) as handle, zipfile.ZipFile(handle, "w", compression=method) as zf:
        for path, arcname in entries:
            info = zipfile.ZipInfo(arcname, date_time=_ZIP_DATE)
            info.compress_type = method
            info.external_attr = _ZIP_MODE
            zf.writestr(info, Path(path).read_bytes())
    return Path(target)

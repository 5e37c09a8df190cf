"""Bad operator conditions: a read-only or full cache folder is one sentence, never a traceback or a
half-written file; the app starts without a usable cache and says what that costs."""
from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from chatpaper import storage, ui
from chatpaper.__main__ import main
from chatpaper.errors import StorageError
from chatpaper.pdf import parse_pdf
from chatpaper.settings import Settings
from chatpaper.storage import zip_files

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "chatpaper-example.pdf"
NOBODY = 65534


@contextmanager
def unprivileged():
    """Run the block as a user that file permissions apply to (root ignores a chmod)."""
    if os.geteuid() != 0:
        yield
        return
    os.setegid(NOBODY)
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@pytest.fixture
def read_only_folder():
    """A folder nobody (and so the unprivileged block) may read but not write."""
    base = Path(tempfile.mkdtemp(prefix="chatpaper-ro-"))
    base.chmod(0o755)
    folder = base / "cache"
    folder.mkdir()
    shutil.copy(EXAMPLE, base / "paper.pdf")
    (base / "paper.pdf").chmod(0o644)
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)
    shutil.rmtree(base)


def _every_file(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _disk_full_after(monkeypatch, budget: int) -> None:
    """Writes succeed until `budget` bytes are written, then fail as on a full disk (after a partial write)."""
    left = [budget]

    def write(handle, payload):
        room = max(0, min(left[0], len(payload)))
        handle.write(payload[:room])
        left[0] -= room
        if room < len(payload):
            handle.flush()  # the partial file really is on disk when the error comes
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage, "_write", write)


def test_write_atomic_writes_text_and_bytes_whole(tmp_path):
    storage.write_atomic(tmp_path / "a" / "x.json", '{"k": "中文"}')
    storage.write_atomic(tmp_path / "a" / "y.png", b"\x89PNG")
    assert (tmp_path / "a" / "x.json").read_text(encoding="utf-8") == '{"k": "中文"}'
    assert _every_file(tmp_path) == ["a/x.json", "a/y.png"]


def test_a_full_disk_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "paper.json"
    target.write_text("old")
    _disk_full_after(monkeypatch, 3)
    with pytest.raises(StorageError) as info:
        storage.write_atomic(target, "a new and longer text")
    assert "is full" in str(info.value) and "\n" not in str(info.value)
    assert target.read_text() == "old" and _every_file(tmp_path) == ["paper.json"]


def test_a_disk_filling_up_mid_parse_leaves_no_truncated_png(tmp_path, monkeypatch):
    _disk_full_after(monkeypatch, 20_000)  # the first figure fits, the second does not
    with pytest.raises(StorageError, match="is full"):
        parse_pdf(EXAMPLE, out_dir=tmp_path, settings=Settings())
    for name in _every_file(tmp_path):  # whatever is left is a whole PNG
        assert name.endswith(".png") and not Path(name).name.startswith(".")
        data = (tmp_path / name).read_bytes()
        assert data.startswith(b"\x89PNG") and data.endswith(b"IEND\xaeB`\x82")


def test_the_cli_says_a_full_disk_in_one_line(tmp_path, monkeypatch, capsys):
    _disk_full_after(monkeypatch, 0)
    assert main(["parse", str(EXAMPLE), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip()
    # the parse writes into the paper cache first (a repeat run reuses it), so the cache's disk is named
    assert err.startswith("error: The disk holding the cache folder") and "is full" in err and "\n" not in err
    assert _every_file(tmp_path) == []


def test_the_cli_says_a_read_only_out_folder_in_one_line(read_only_folder, capsys):
    pdf = str(read_only_folder.parent / "paper.pdf")
    with unprivileged():
        code = main(["parse", pdf, "--out", str(read_only_folder / "out")])
    err = capsys.readouterr().err.strip()
    assert code == 1 and "\n" not in err and "Traceback" not in err
    assert err == f"error: The folder {read_only_folder} is not writable; make it writable or write " \
                  "somewhere else (e.g. another --out folder)."


def test_the_app_says_a_read_only_cache_folder_in_one_sentence(read_only_folder, tmp_path, monkeypatch):
    list(ui.run_summary("", EXAMPLE, "en", "offline", "", "", "", settings=Settings(cache_dir=tmp_path)))  # imports
    monkeypatch.setenv("CHATPAPER_CACHE_DIR", str(read_only_folder))
    with unprivileged():
        views = list(ui.run_summary("", str(read_only_folder.parent / "paper.pdf"), "en", "offline", "", "", "",
                                    settings=Settings(cache_dir=read_only_folder)))
    assert views[-1].error == (f"The cache folder {read_only_folder} is not writable; "
                               "set CHATPAPER_CACHE_DIR to a writable folder.")
    assert _every_file(read_only_folder) == []


def test_the_app_starts_when_the_cache_folder_cannot_be_made_and_says_what_it_lost(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    wanted = blocker / "cache"
    app = ui.create_app(Settings(cache_dir=wanted))
    used = app.chatpaper_settings.cache_dir
    assert used != wanted and (used / "runs").is_dir()
    notice = next(b.value for b in app.blocks.values() if getattr(b, "elem_id", None) == "cp-status")
    assert "temporary folder" in notice and "lost when it restarts" in notice
    assert "The cache folder" in notice and "a\\-file/cache is not writable" in notice  # which one, escaped
    shutil.rmtree(used)


def test_a_bad_variable_at_app_start_is_one_sentence(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CHATPAPER_MAX_PAGES": "many", "CHATPAPER_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, str(ROOT / "app.py")], capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    assert done.returncode == 1
    assert done.stderr.strip().startswith("error: CHATPAPER_MAX_PAGES is not valid")
    assert "\n" not in done.stderr.strip() and "Traceback" not in done.stderr


def test_zip_files_gives_the_same_bytes_for_the_same_files_whatever_their_dates(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.png"
    a.write_text("post " * 200)
    b.write_bytes(b"\x89PNG" + bytes(range(256)))
    first = zip_files(tmp_path / "one.zip", [(a, "p/a.txt"), (b, "p/img/b.png")]).read_bytes()
    os.utime(a, (1_700_000_000, 1_700_000_000))  # a later run sees newer files with the same bytes
    second = zip_files(tmp_path / "two.zip", [(a, "p/a.txt"), (b, "p/img/b.png")]).read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "one.zip") as zf:
        assert zf.namelist() == ["p/a.txt", "p/img/b.png"]
        assert zf.read("p/img/b.png") == b.read_bytes()
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_DEFLATED}
    stored = zip_files(tmp_path / "stored.zip", [(b, "b.png")], compress=False)
    with zipfile.ZipFile(stored) as zf:
        assert zf.infolist()[0].compress_type == zipfile.ZIP_STORED


def test_zip_files_leaves_no_partial_archive_when_a_file_is_missing(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(StorageError):  # atomic_file's one sentence; what matters is that nothing is left
        zip_files(tmp_path / "out.zip", [(tmp_path / "a.txt", "a.txt"), (tmp_path / "gone.txt", "gone.txt")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]

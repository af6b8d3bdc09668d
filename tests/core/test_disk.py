"""A read-only data folder and a full disk: a message, exit 1, never a traceback; nothing
accepted is lost, and the same commands finish the work once the disk allows it.

Before: ``add`` and ``sync`` died with ``OSError: [Errno 30] Read-only file system:
.../logs/meterai.log`` and a traceback, ``status`` said "unable to open database file",
and on a full disk ``sync --once`` ended with an uncaught ``sqlite3.OperationalError:
database or disk is full`` and "--- Logging error ---" dumps.

Real mounts: a read-only bind mount and a 3 MB tmpfs (root only; CI runs as root). On
a machine where mount is not permitted the tests are skipped and say why.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from meterai import system
from meterai.disk import disk_error
from meterai.errors import ReadOnlyFolder
from meterai.kiosk.setup import check_layout
from meterai.sandbox import SandboxServer
from meterai.settings import resolve_paths
from tests.support.mounts import mounts
from tests.support.pdfs import make_pdf
from tests.support.sandbox import Admin, admin, point_at, provider

__all__ = ["admin", "mounts", "provider"]

METERAI = Path(sys.executable).with_name("meterai")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform != "linux", reason="Linux mounts")]


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def meterai(data: Path, *args: str | Path, lang: str = "en") -> Run:
    env = {**os.environ, "LANG": "C.UTF-8"}
    env.pop("METERAI_LANG", None)
    done = subprocess.run(
        [str(METERAI), "--lang", lang, "--data-dir", str(data), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert "Logging error" not in done.stderr, done.stderr
    return Run(done.returncode, done.stdout, done.stderr)


def _documents(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [make_pdf(folder / f"doc-{i}.pdf", pages=i + 1) for i in range(count)]


def _states(data: Path) -> list[str]:
    listed = meterai(data, "status", "--json")
    assert listed.code in (0, 1), listed.err
    return [row["state"] for row in json.loads(listed.out)]


def _all_done(data: Path, count: int) -> None:
    synced = meterai(data, "sync", "--once")
    assert synced.code == 0, synced.err
    assert _states(data) == ["done"] * count


def test_a_read_only_data_folder_is_a_message_and_the_work_resumes_when_writable(
    tmp_path: Path, provider: SandboxServer, mounts: Callable[..., None]
) -> None:
    source, view = tmp_path / "source", tmp_path / "view"
    view.mkdir()
    point_at(resolve_paths(source / "data"), provider)
    first, second = _documents(tmp_path / "docs", 2)
    assert meterai(source / "data", "add", first, "--type", "3").code == 0
    mounts("--bind", str(source), str(view))
    mounts("-o", "remount,ro,bind", str(view))
    data = view / "data"

    added = meterai(data, "add", second, "--type", "3")
    assert added.code == 1
    assert added.err.strip() == (
        f"Error: The data folder is read-only: {data}. Nothing was lost; make it writable "
        "(or choose another folder with --data-dir) and run the command again."
    )
    indonesian = meterai(data, "sync", "--once", lang="id")
    assert indonesian.code == 1
    assert f"Galat: Folder data hanya-baca: {data}." in indonesian.err
    listed = meterai(data, "status")
    assert listed.code == 0 and "doc-0.pdf" in listed.out  # still read, read-only
    assert "read-only" in listed.err

    mounts("-o", "remount,rw,bind", str(view))
    assert meterai(data, "add", second, "--type", "3").code == 0
    _all_done(data, 2)


def test_windows_tells_a_read_only_folder_by_trying_to_write_in_it(
    tmp_path: Path, mounts: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``os.access`` on Windows reads only the read-only attribute, which folders ignore:
    a write-protected stick or a folder the ACL refuses looked writable, and the refusal
    (EACCES) was not recognised as the disk's. The Windows rule probes, shown here on a
    real read-only mount with the error Windows raises."""
    source, view = tmp_path / "source", tmp_path / "view"
    source.mkdir()
    view.mkdir()
    mounts("--bind", str(source), str(view))
    mounts("-o", "remount,ro,bind", str(view))
    monkeypatch.setattr(system, "current", system.Windows())
    assert not system.folder_writable(view)
    assert system.folder_writable(tmp_path)
    refused = PermissionError(errno.EACCES, "Access is denied", str(view / "outbox.sqlite3"))
    refused.winerror = 5  # type: ignore[attr-defined]
    error = disk_error(refused, view)
    assert isinstance(error, ReadOnlyFolder) and error.params == {"path": str(view)}
    assert disk_error(refused, tmp_path) is None  # a writable folder: not the disk's refusal
    assert list(view.iterdir()) == list(source.iterdir()) == []


@pytest.mark.parametrize("rules", [system.Posix(), system.Windows()], ids=["posix", "windows"])
def test_a_kiosk_folder_on_a_read_only_disk_is_refused_at_set_up(
    rules: system.Posix,
    tmp_path: Path,
    mounts: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The set-up check asked ``os.access``, which on Windows never refuses a folder."""
    source, view = tmp_path / "source", tmp_path / "view"
    (source / "out").mkdir(parents=True)
    view.mkdir()
    mounts("--bind", str(source), str(view))
    mounts("-o", "remount,ro,bind", str(view))
    monkeypatch.setattr(system, "current", rules)
    problems = check_layout(tmp_path / "in", view / "out")
    assert [p.template for p in problems] == ["The folder {path} cannot be written to."]
    assert dict(problems[0].params) == {"path": str(view / "out")}


def test_a_full_disk_is_a_message_and_the_work_resumes_when_space_returns(
    tmp_path: Path, provider: SandboxServer, mounts: Callable[..., None]
) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    mounts("-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk))
    data = disk / "data"
    point_at(resolve_paths(data), provider)
    first, second = _documents(tmp_path / "docs", 2)
    assert meterai(data, "add", first, "--type", "3").code == 0
    filler = _fill(disk / "filler")

    added = meterai(data, "add", second, "--type", "3")
    assert added.code == 1
    assert added.err.strip() == (
        f"Error: The disk is full: 1 MB are needed in {data}. Nothing was lost; free some "
        "space and run the command again."
    )
    synced = meterai(data, "sync", "--once")
    assert synced.code == 1
    assert f"Error: The disk is full: 1 MB are needed in {data}." in synced.err
    listed = meterai(data, "status", "--json")
    assert listed.code == 0 and [r["state"] for r in json.loads(listed.out)] == ["queued"]

    filler.unlink()
    assert meterai(data, "add", second, "--type", "3").code == 0
    _all_done(data, 2)


def test_a_disk_that_fills_during_sync_stops_the_run_and_nothing_is_bought_twice(
    tmp_path: Path, provider: SandboxServer, admin: Admin, mounts: Callable[..., None]
) -> None:
    """Room to open the outbox and start, not to finish: the run stops with the message
    (before: each request retried its own "[Errno 28]" and the run went on)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounts("-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk))
    data = disk / "data"
    point_at(resolve_paths(data), provider)
    docs = [make_pdf(tmp_path / f"big-{i}.pdf", image_bytes=200_000) for i in range(3)]
    for doc in docs:
        assert meterai(data, "add", doc, "--type", "3").code == 0
    filler = _fill(disk / "filler", leave=150_000)

    synced = meterai(data, "sync", "--once")
    assert synced.code == 1
    assert f"Error: The disk is full: 2 MB are needed in {data}." in synced.err
    assert "done" not in _states(data)

    filler.unlink()
    _all_done(data, 3)
    assert len(admin.serials()) == 3  # the purchases a stop interrupted were adopted


def _fill(path: Path, leave: int = 0) -> Path:
    """Take every free byte of the file system ``path`` is on, but ``leave``."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for size in (65536, 4096, 512, 1):
            try:
                while os.write(fd, b"\0" * size):
                    pass
            except OSError:
                continue
        os.ftruncate(fd, max(0, os.fstat(fd).st_size - leave))
    finally:
        os.close(fd)
    return path


def test_evidence_saved_on_a_read_only_disk_is_a_message_and_no_half_zip(
    tmp_path: Path, mounts: Callable[..., None]
) -> None:
    """``meterai evidence --out`` onto a write-protected stick: the disk's words, no file."""
    data = tmp_path / "data"
    (doc,) = _documents(tmp_path / "docs", 1)
    assert meterai(data, "add", doc, "--type", "3").code == 0
    stick, view = tmp_path / "stick", tmp_path / "view"
    stick.mkdir()
    view.mkdir()
    mounts("--bind", str(stick), str(view))
    mounts("-o", "remount,ro,bind", str(view))

    saved = meterai(data, "evidence", "1", "--out", view / "bukti.zip")

    assert saved.code == 1
    assert saved.err.strip() == (
        f"Error: The folder {view} is read-only: the evidence was not saved. Choose another "
        "folder (a USB stick may have its write-protect switch on)."
    )
    assert "Traceback" not in saved.err and list(view.iterdir()) == []

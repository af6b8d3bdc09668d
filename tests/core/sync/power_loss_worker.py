"""Run one operation, losing power at sync point K (run by ``test_power_loss.py``).

Usage: ``python power_loss_worker.py ROOT PHASE K [SOURCE.pdf]`` where ROOT holds
``data/`` and ``out/`` and PHASE is ``add`` (queue SOURCE) or ``stamp`` (one
``sync --once`` run of the runner). Sync points are counted as they happen: every
``os.fsync``/``os.fdatasync`` (of a file or of a folder) and every outbox commit.
At the K-th one, before it takes effect, the worker writes what a power cut would
leave (see ``Recorder``) to ROOT/image and SIGKILLs itself. With K past the last
point the operation completes and the image is of a cut just after it (writes
never synced are still dropped). Prints ``queued <id>`` after each accepted request
and ``points <n>`` at the end, flushed.

The model (LazyFS's and SQLite's crash tests' worst case that POSIX permits):
- a file's content survives as of its last fsync (never fsynced: empty);
- a folder's entries survive as of its last fsync (a rename, a new file or an
  unlink not followed by an fsync of the folder is undone);
- the outbox (``outbox.sqlite3`` and its ``-wal``) survives as of its last commit:
  SQLite's own fsyncs happen in C, out of reach of a Python shim, so its documented
  contract is taken instead (``synchronous=FULL`` in WAL mode: COMMIT returns after
  the log is fsynced) and a commit is a sync point; the ``-shm`` never survives
  (SQLite rebuilds it). SQLite's own crash safety is SQLite's tests' business; this
  one checks OUR order of fsyncs, renames and commits.
So that an inode number freed during the run cannot be reused (and its recorded
content mistaken for a new file's), unlinks move files to a trash folder and a
rename over an existing file keeps a hard link to it there.
"""

from __future__ import annotations

import os
import signal
import stat
import sys
import threading
from collections.abc import Callable
from itertools import count
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repository, for tests.*

SQLITE_NAMES = ("outbox.sqlite3", "outbox.sqlite3-wal", "outbox.sqlite3-shm")
Entry = tuple[str, Any]  # ("file", inode) | ("dir", None) | ("bytes", content)


class Recorder:
    """What a power cut at this moment would leave, kept as the run goes."""

    def __init__(self, roots: list[Path], trash: Path, crash_at: int, image: Path) -> None:
        self.roots = roots
        self.trash = trash
        self.crash_at = crash_at
        self.image = image
        self.points = 0
        self.lock = threading.RLock()
        self.content: dict[int, bytes] = {}
        self.listings: dict[str, dict[str, Entry]] = {}
        self._trash_names = count()
        for root in roots:
            self._snapshot_tree(root)

    # --- the initial state: everything on disk is durable ----------------------------

    def _snapshot_tree(self, folder: Path) -> None:
        self.listings[str(folder)] = self._listing(folder)
        for entry in os.scandir(folder):
            if entry.is_dir(follow_symlinks=False):
                self._snapshot_tree(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                self.content[entry.inode()] = Path(entry.path).read_bytes()
        self._sqlite_files(folder)

    def _listing(self, folder: Path) -> dict[str, Entry]:
        found: dict[str, Entry] = {}
        for entry in os.scandir(folder):
            if entry.name in SQLITE_NAMES:
                continue  # the outbox survives as of its last commit, below
            if entry.is_dir(follow_symlinks=False):
                found[entry.name] = ("dir", None)
            elif entry.is_file(follow_symlinks=False):
                found[entry.name] = ("file", entry.inode())
        return found

    def _sqlite_files(self, folder: Path) -> None:
        listing = self.listings.setdefault(str(folder), {})
        for name in SQLITE_NAMES[:2]:
            path = folder / name
            if path.exists():
                listing[name] = ("bytes", path.read_bytes())

    # --- sync points -----------------------------------------------------------------

    def point(self, apply: Callable[[], None], what: str) -> None:
        with self.lock:
            self.points += 1
            print(f"point {self.points} {what}", file=sys.stderr, flush=True)
            if self.points == self.crash_at:
                self.write_image()
                os.kill(os.getpid(), signal.SIGKILL)
            apply()

    def fsynced(self, fd: int) -> None:
        mode = os.fstat(fd).st_mode
        path = os.readlink(f"/proc/self/fd/{fd}")
        if stat.S_ISDIR(mode):
            previous = self.listings.get(path, {})
            listing = self._listing(Path(path))
            for name in SQLITE_NAMES[:2]:
                if name in previous:
                    listing[name] = previous[name]
            self.listings[path] = listing
        elif stat.S_ISREG(mode):
            with open(f"/proc/self/fd/{fd}", "rb") as fh:
                self.content[os.fstat(fd).st_ino] = fh.read()

    def committed(self, database: Path) -> None:
        self._sqlite_files(database.parent)

    # --- the image -------------------------------------------------------------------

    def write_image(self) -> None:
        for root in self.roots:
            self._build(str(root), self.image / root.name)

    def _build(self, folder: str, target: Path) -> None:
        target.mkdir(parents=True, exist_ok=True)
        for name, (kind, value) in self.listings.get(folder, {}).items():
            if kind == "dir":
                self._build(f"{folder}/{name}", target / name)
            elif kind == "bytes":
                (target / name).write_bytes(value)
            else:
                (target / name).write_bytes(self.content.get(value, b""))

    # --- no inode is freed during the run --------------------------------------------

    def keep(self, path: str | os.PathLike[str]) -> None:
        if os.path.lexists(path) and not os.path.isdir(path):
            os.link(path, self.trash / f"{next(self._trash_names)}", follow_symlinks=False)


def install(recorder: Recorder) -> None:
    from meterai.outbox import db

    real_fsync, real_fdatasync = os.fsync, os.fdatasync
    real_unlink, real_replace, real_rename = os.unlink, os.replace, os.rename

    def fsync(fd: Any) -> None:
        fd = fd if isinstance(fd, int) else fd.fileno()
        real_fsync(fd)
        recorder.point(lambda: recorder.fsynced(fd), f"fsync {os.readlink(f'/proc/self/fd/{fd}')}")

    def fdatasync(fd: Any) -> None:
        fd = fd if isinstance(fd, int) else fd.fileno()
        real_fdatasync(fd)
        recorder.point(
            lambda: recorder.fsynced(fd), f"fdatasync {os.readlink(f'/proc/self/fd/{fd}')}"
        )

    def unlink(path: Any, *args: Any, **kwargs: Any) -> None:
        recorder.keep(path)
        real_unlink(path, *args, **kwargs)

    def replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        recorder.keep(dst)
        real_replace(src, dst, *args, **kwargs)

    def rename(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        recorder.keep(dst)
        real_rename(src, dst, *args, **kwargs)

    os.fsync, os.fdatasync = fsync, fdatasync
    os.unlink = os.remove = unlink
    os.replace, os.rename = replace, rename
    db.on_commit(lambda database: recorder.point(lambda: recorder.committed(database), "commit"))


def break_on_purpose() -> None:
    """``POWER_LOSS_BREAK=fsync_dir``: renames are never made durable (the harness's own test)."""
    if os.environ.get("POWER_LOSS_BREAK") == "fsync_dir":
        from meterai import fsutil
        from meterai.documents import store

        fsutil.fsync_dir = store.fsync_dir = lambda path: None  # type: ignore[attr-defined]


def main(root_arg: str, phase: str, crash_at: str, source: str | None = None) -> None:
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    break_on_purpose()
    root = Path(root_arg)
    trash = root / "trash"
    trash.mkdir(exist_ok=True)
    recorder = Recorder([root / "data", root / "out"], trash, int(crash_at), root / "image")
    install(recorder)
    from meterai.settings import load_settings, resolve_paths

    paths = resolve_paths(root / "data")
    if phase == "add":
        from meterai.intake import IntakeOptions, queue_file
        from meterai.outbox import Outbox

        box = Outbox.open(paths)
        accepted = queue_file(
            box, paths, Path(source or ""), IntakeOptions(doc_type="3", out_dir=str(root / "out"))
        )
        print(f"queued {accepted.request.id}", flush=True)
        box.close()
    else:
        from meterai.sync.engine import EngineConfig
        from meterai.sync.runner import RunnerConfig, SyncRunner
        from tests.support.sandbox import FAST

        # A stamping call cut by the stall timeout waits the tests' settle, within the linger.
        config = RunnerConfig(
            stall_timeout=float(os.environ.get("METERAI_STALL_TIMEOUT", "30")),
            engine=EngineConfig(stamp_settle=FAST.engine.stamp_settle),
        )
        SyncRunner(paths, load_settings(paths), concurrency=2, config=config).run_once()
    with recorder.lock:
        recorder.write_image()
        print(f"points {recorder.points}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])

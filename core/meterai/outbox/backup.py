"""Rolling online backups of the outbox: a few generations, each one checked and fsynced.

The outbox is one file; a failed copy, a sync tool or a careless cleaner can empty or
replace it, and with it every paid request. So after each burst of changes the
outbox is copied with SQLite's online backup API (a consistent snapshot that never
blocks the writers in WAL mode) to a temp file, checked with ``quick_check``,
fsynced, renamed into ``backups/`` and the folder fsynced; only then is the oldest
generation dropped, so there is always at least one good copy.

Bursts are debounced: the first commit after a backup arms a timer of ``DELAY``
seconds and the commits meanwhile fold into the same backup, so a sync run of a
hundred documents costs a handful of copies, not a thousand. Closing the outbox
(the end of a sync run, of ``meterai add``, of the GUI) takes the pending one at
once. A backup that fails is logged and tried again at the next change: it must
never fail the write it follows.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from meterai import system
from meterai.fsutil import fsync_dir, sweep_temp_files, temp_prefix
from meterai.outbox.db import BUSY_TIMEOUT_MS, on_commit
from meterai.settings import Paths

log = logging.getLogger(__name__)

KEEP = 3
DELAY = 5.0
PREFIX = "outbox-"
SUFFIX = ".sqlite3"


class BackupFailed(Exception):
    """A copy that did not pass its check: it never replaces an older generation."""


@dataclass(frozen=True)
class Generation:
    path: Path
    taken_at: datetime


def generations(folder: Path) -> list[Generation]:
    """The backups in ``folder``, newest first (their names sort by the UTC time taken)."""
    found = []
    for path in folder.glob(f"{PREFIX}*{SUFFIX}"):
        stamp = path.name[len(PREFIX) : -len(SUFFIX)].split("-", 1)[0]
        try:
            taken = datetime.strptime(stamp, "%Y%m%dT%H%M%S.%f").replace(tzinfo=UTC)
        except ValueError:
            continue
        found.append(Generation(path, taken))
    return sorted(found, key=lambda g: (g.taken_at, g.path.name), reverse=True)


def take_backup(database: Path, folder: Path, *, keep: int = KEEP) -> Path:
    """Copy ``database`` into a new generation in ``folder``; returns its path.

    The source is opened ``mode=rw``, never created: a backup must not turn a missing
    outbox into an empty one.
    """
    if not folder.is_dir():
        folder.mkdir()  # not its parents: a data dir deleted meanwhile stays deleted
        fsync_dir(folder.parent)
    now = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")
    final = folder / f"{PREFIX}{now}-{os.getpid()}{SUFFIX}"
    staged = folder / f"{temp_prefix()}{now}{SUFFIX}"
    try:
        copy_checked(database, staged)
        _fsync_file(staged)
        system.replace(staged, final)
    except BaseException:
        system.remove(staged)
        raise
    fsync_dir(folder)
    _prune(folder, keep)
    return final


def copy_checked(database: Path, dest: Path) -> None:
    """A consistent snapshot of ``database`` (it may be in use) into one self-contained file
    ``dest``, checked with ``quick_check``; ``BackupFailed`` if the copy is not sound."""
    source = sqlite3.connect(
        database.absolute().as_uri() + "?mode=rw", uri=True, timeout=BUSY_TIMEOUT_MS / 1000
    )
    try:
        copy = sqlite3.connect(dest, isolation_level=None)
        try:
            source.backup(copy)
            # One self-contained file: a copy left in WAL mode would need its -wal beside it.
            copy.execute("PRAGMA journal_mode = DELETE")
            verdict = [row[0] for row in copy.execute("PRAGMA quick_check")]
        finally:
            copy.close()
    finally:
        source.close()
    if verdict != ["ok"]:
        raise BackupFailed(f"{dest.name}: {verdict[0] if verdict else 'no verdict'}")


def _fsync_file(path: Path) -> None:
    """Opened for writing: Windows flushes only a writable handle (EBADF otherwise)."""
    fd = os.open(path, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prune(folder: Path, keep: int) -> None:
    for old in generations(folder)[keep:]:
        system.remove(old.path)
    fsync_dir(folder)


class BackupSchedule:
    """The debounced backups of one outbox file, shared by every connection in a process."""

    def __init__(self, database: Path, folder: Path, *, delay: float = DELAY, keep: int = KEEP):
        self.database = database
        self.folder = folder
        self.delay = delay
        self.keep = keep
        self.taken = 0
        self._lock = threading.Lock()
        self._running = threading.Lock()
        self._dirty = False
        self._timer: threading.Timer | None = None

    def changed(self) -> None:
        """A commit happened: make sure a backup follows within ``delay`` seconds."""
        with self._lock:
            self._dirty = True
            if self._timer is None:
                self._timer = threading.Timer(self.delay, self._fire)
                self._timer.daemon = True
                self._timer.name = "meterai-backup"
                self._timer.start()

    def flush(self) -> Path | None:
        """Take the pending backup now (closing the outbox); a failure is logged, not raised."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        return self._take_if_dirty()

    def _fire(self) -> None:
        with self._lock:
            self._timer = None
        self._take_if_dirty()

    def _take_if_dirty(self) -> Path | None:
        with self._running:
            with self._lock:
                if not self._dirty:
                    return None
                self._dirty = False
            started = time.perf_counter()
            try:
                path = take_backup(self.database, self.folder, keep=self.keep)
            except (OSError, sqlite3.Error, BackupFailed) as exc:
                with self._lock:
                    self._dirty = True
                log.warning("backup of the outbox not taken (tried again later): %s", exc)
                return None
            self.taken += 1
            log.debug("outbox backed up to %s in %.3f s", path, time.perf_counter() - started)
            return path


_schedules: dict[Path, BackupSchedule] = {}
_registry_lock = threading.Lock()


def schedule_for(paths: Paths) -> BackupSchedule:
    """The process's one schedule for this data dir's outbox (created on first open)."""
    with _registry_lock:
        schedule = _schedules.get(paths.database)
        if schedule is None:
            sweep_temp_files(paths.backups_dir)
            schedule = BackupSchedule(paths.database, paths.backups_dir)
            _schedules[paths.database] = schedule
        return schedule


def _on_commit(database: Path) -> None:
    schedule = _schedules.get(database)
    if schedule is not None:
        schedule.changed()


on_commit(_on_commit)

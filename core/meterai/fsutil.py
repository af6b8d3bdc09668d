"""Crash-safe file writes: temp file in the same folder, fsync, rename, fsync the folder.

A reader (or the next start after a power cut) sees either the old file or the
complete new one, never a torn one. Temp files carry a recognisable prefix so
the next open can sweep the ones a crash left behind.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from meterai import system
from meterai.errors import FileInUse, NotARegularFile
from meterai.system import fsync_dir as fsync_dir

log = logging.getLogger(__name__)

TEMP_PREFIX = ".meterai-tmp-"
_CHUNK = 1 << 20
# Opening a FIFO for reading blocks until a writer comes, and a device can feed bytes
# forever; with O_NONBLOCK the open itself returns at once, and fstat on that very
# descriptor says what it is (no window between a check and the open). O_NOCTTY keeps
# a terminal device from becoming ours.
_PROBE_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_PROBE_FLAGS |= getattr(os, "O_BINARY", 0)


def open_regular(path: Path) -> BinaryIO:
    """Open ``path`` for reading only if it is a regular file; ``NotARegularFile`` if not.

    The one way a user's document (or a kiosk drop) is opened first: a named pipe,
    a device or a socket is refused at once instead of blocking the reader.
    """
    fd = os.open(system.long_path(path), _PROBE_FLAGS)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFile.of(path.name, mode)
        if sys.platform != "win32" and _PROBE_FLAGS & os.O_NONBLOCK:
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def make_dirs(path: Path) -> None:
    """Create ``path`` and its missing parents durably: a new folder's entry lives in its
    parent, and until the parent is fsynced a power cut may take the folder away with
    every file in it, however carefully those were fsynced (the power-loss test found
    ``stamped/`` vanishing so, under a request already recorded as downloaded)."""
    missing = []
    current = path
    while not current.is_dir() and current.parent != current:
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        system.long_path(folder).mkdir(exist_ok=True)
        fsync_dir(folder.parent)


@dataclass
class AtomicFile:
    """The temp file behind ``atomic_writer``: write to ``file``; it becomes ``dest``.

    A content-addressed writer, which learns the name from the bytes, sets ``dest``
    (in the same folder) before the block ends.
    """

    file: BinaryIO
    temp: Path
    dest: Path
    kept: bool = True
    synced: bool = False

    def discard(self) -> None:
        """Leave ``dest`` as it was (a result too large, a copy already there)."""
        self.kept = False

    def sync(self) -> None:
        """Flush to disk now, e.g. while another thread hashes the file; the last write."""
        self.file.flush()
        os.fsync(self.file.fileno())
        self.synced = True


@contextmanager
def atomic_writer(dest: Path, *, mode: int = 0o644, sync_dir: bool = True) -> Iterator[AtomicFile]:
    """Write ``dest`` whole or not at all: a temp file in its folder, fsync, rename, and
    the folder fsynced (``sync_dir=False`` leaves that to a caller storing a batch).

    Leaving the block by an exception, or after ``discard()``, leaves ``dest`` as it was
    and removes the temp file. The one way this program writes a file it must not lose.
    """
    make_dirs(dest.parent)
    fd, name = tempfile.mkstemp(prefix=temp_prefix(), dir=system.long_path(dest.parent))
    staged = AtomicFile(os.fdopen(fd, "w+b"), Path(name), dest)
    try:
        with staged.file:
            yield staged
            if staged.kept and not staged.synced:
                staged.sync()
        if staged.kept:
            os.chmod(staged.temp, mode)
            system.replace(staged.temp, staged.dest)
            if sync_dir:
                fsync_dir(staged.dest.parent)
    finally:
        system.remove(staged.temp)


def atomic_write_chunks(dest: Path, chunks: Iterable[bytes], *, mode: int = 0o644) -> int:
    """Write ``chunks`` to ``dest`` atomically and durably; returns the bytes written."""
    written = 0
    with atomic_writer(dest, mode=mode) as staged:
        for chunk in chunks:
            staged.file.write(chunk)
            written += len(chunk)
    return written


def atomic_write_bytes(dest: Path, data: bytes, *, mode: int = 0o644) -> None:
    atomic_write_chunks(dest, [data], mode=mode)


def read_chunks(fh: BinaryIO, size: int = _CHUNK) -> Iterable[bytes]:
    while chunk := fh.read(size):
        yield chunk


def atomic_copy(src: Path, dest: Path, *, mode: int = 0o644) -> int:
    with open_regular(src) as fh:
        return atomic_write_chunks(dest, read_chunks(fh), mode=mode)


def temp_prefix() -> str:
    """Temp names carry the writer's pid, so a sweep can tell a crash's leftover from a
    file another live process (the GUI while the CLI runs) is writing right now."""
    return f"{TEMP_PREFIX}{os.getpid()}-"


def _writer_alive(name: str) -> bool:
    pid_text = name[len(TEMP_PREFIX) :].split("-", 1)[0]
    if not pid_text.isdigit():
        return False
    return system.pid_alive(int(pid_text))


def sweep_temp_files(folder: Path) -> int:
    """Remove temp files whose writer is gone (a crash's leftovers); returns how many.

    Housekeeping only: a leftover that cannot be removed now (on Windows, a scanner
    still reading it past the platform's wait) is left for the next sweep rather than
    stopping the start that swept."""
    if not folder.is_dir():
        return 0
    removed = 0
    for leftover in folder.glob(TEMP_PREFIX + "*"):
        if _writer_alive(leftover.name) or not leftover.exists():
            continue
        try:
            system.remove(leftover)
        except (FileInUse, PermissionError) as exc:
            log.info("temp file %s left for the next sweep: %s", leftover.name, exc)
            continue
        removed += 1
    return removed


def copy_no_overwrite(src: Path, dest_dir: Path, name: str) -> Path:
    """Copy ``src`` into ``dest_dir`` as ``name``, adding `` (2)`` etc. rather than overwrite."""
    make_dirs(dest_dir)
    stem, suffix = os.path.splitext(name)
    candidate = dest_dir / name
    n = 2
    while True:
        try:
            fd = os.open(system.long_path(candidate), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            candidate = dest_dir / f"{stem} ({n}){suffix}"
            n += 1
            continue
        os.close(fd)
        break
    try:
        atomic_copy(src, candidate)
    except BaseException:
        system.remove(candidate)
        raise
    return candidate

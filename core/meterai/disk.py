"""A write the disk refused, in the user's words: the one map from OS errors to ours.

A read-only data folder or a full disk reaches us as ``OSError`` with EROFS, ENOSPC or
EDQUOT from a file write, or as the database's own error, which its backend judges
(``meterai.outbox.db`` for SQLite) and names here with ``refusal``; for an unclear
one it asks ``writable`` and ``free_bytes`` about the folder itself.

Each boundary (the CLI's ``run``, the outbox's connection and transactions) hands what
it caught to ``disk_error`` and raises the typed error it returns; anything the map
does not recognise stays what it was (a bug keeps its traceback). Nothing is caught
and retried here: every write that failed was inside a transaction or a temp file, so
nothing accepted is lost, and the same command succeeds once the disk allows it.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Literal

from meterai import system
from meterai.errors import DiskError, DiskFull, ReadOnlyFolder
from meterai.i18n import N_
from meterai.messages import Message

MB = 1024 * 1024
# What a command's outbox transactions need besides the files it writes: the WAL index
# (``-shm``, 32 KiB) and the write-ahead log's frames (a 4 KiB page plus a 24-byte
# header each) for the pages one batch changes, a few per request, 64 at most.
WAL_HEADROOM = 32 * 1024 + 64 * (4096 + 24)

_READ_ONLY_ERRNOS = frozenset({errno.EROFS})
_PERMISSION_ERRNOS = frozenset({errno.EACCES, errno.EPERM})
_FULL_ERRNOS = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})
Kind = Literal["read_only", "full"]

# The operating system words its errors in its own language (English, mostly): the common
# ones a user meets on a file they named, in ours.
_OS_REASONS = {
    errno.ENOENT: N_("there is no such file or folder"),
    errno.EACCES: N_("permission denied"),
    errno.EPERM: N_("permission denied"),
    errno.EISDIR: N_("it is a folder, not a file"),
    errno.ENOTDIR: N_("part of the path is not a folder"),
    errno.EROFS: N_("the disk is read-only"),
    errno.ENOSPC: N_("the disk is full"),
    errno.ENAMETOOLONG: N_("the name is too long"),
}


def os_reason(exc: OSError) -> Message:
    """Why the system refused, in the reader's language; its own words for the rare rest."""
    template = _OS_REASONS.get(exc.errno or 0)
    if template is not None:
        return Message(template)
    return Message("{detail}", {"detail": exc.strerror or str(exc)})


def disk_error(exc: BaseException, folder: Path, needed: int = 0) -> DiskError | None:
    """The typed error for a write into ``folder`` the disk refused, else ``None``.

    ``needed`` is what the failed operation was writing (bytes), when it is known:
    the message asks for that plus the outbox's ``WAL_HEADROOM``.
    """
    if isinstance(exc, DiskError):
        return exc
    where = _where(exc, folder)
    return refusal(_kind(exc, where), where, needed)


def refusal(kind: Kind | None, where: Path, needed: int = 0) -> DiskError | None:
    """The typed error for a refusal of ``kind`` in ``where`` (``None`` for no refusal)."""
    if kind == "read_only":
        return ReadOnlyFolder(path=str(where))
    if kind == "full":
        return DiskFull(path=str(where), needed_mb=math.ceil((needed + WAL_HEADROOM) / MB))
    return None


def refused(exc: BaseException) -> bool:
    """Whether ``exc`` is the disk refusing a write, whatever the folder: for code that
    must not count it as a request's own failure (it is the environment's)."""
    if isinstance(exc, DiskError):
        return True
    return isinstance(exc, OSError) and exc.errno in (_READ_ONLY_ERRNOS | _FULL_ERRNOS)


@contextlib.contextmanager
def mapped(folder: Path, needed: Callable[[], int] = lambda: 0) -> Iterator[None]:
    """Raise a refused write inside the block as its ``DiskError``; anything else unchanged.

    ``needed`` says what the whole block writes (asked only when the disk is full): a
    ``DiskFull`` raised deeper, by a seam that only knew its own write, is raised
    again asking for the larger figure.
    """
    try:
        yield
    except DiskFull as exc:
        wanted = math.ceil((needed() + WAL_HEADROOM) / MB)
        if wanted <= int(exc.params.get("needed_mb", 0)):
            raise
        raise DiskFull(path=exc.params.get("path", str(folder)), needed_mb=wanted) from exc
    except OSError as exc:
        error = disk_error(exc, folder, needed() if _kind(exc, folder) == "full" else 0)
        if error is None:
            raise
        raise error from exc


def size_of(files: Iterable[Path]) -> int:
    """Bytes of the files that exist (the others are refused later, by name)."""
    total = 0
    for path in files:
        with contextlib.suppress(OSError):
            total += path.stat().st_size
    return total


def _kind(exc: BaseException, folder: Path) -> Kind | None:
    if not isinstance(exc, OSError):
        return None
    if exc.errno in _READ_ONLY_ERRNOS:
        return "read_only"
    if exc.errno in _FULL_ERRNOS:
        return "full"
    if exc.errno in _PERMISSION_ERRNOS and not writable(folder):
        return "read_only"
    return None


def _where(exc: BaseException, folder: Path) -> Path:
    """The folder to name: the data folder, or the one outside it that refused (an export)."""
    name = getattr(exc, "filename", None) if isinstance(exc, OSError) else None
    if not name:
        return folder
    failed = Path(os.fsdecode(name))
    try:
        failed.resolve().relative_to(folder.resolve())
    except ValueError:
        return failed.parent
    return folder


def _existing(folder: Path) -> Path:
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    return folder


def writable(folder: Path) -> bool:
    return system.folder_writable(_existing(folder))


def free_bytes(folder: Path) -> int:
    try:
        return shutil.disk_usage(_existing(folder)).free
    except OSError:
        return 0

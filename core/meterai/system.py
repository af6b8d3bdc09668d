"""The platform layer: every place where Windows and POSIX differ, and nowhere else.

The rest of the code calls the functions at the bottom of this module and never asks
which system it runs on. Each difference is a method of ``Posix`` overridden in
``Windows``; ``current`` is the one for this machine. The Windows methods that are
plain logic (long path names, which errors mean "in use", the folders, the instance
name) are exercised on Linux by the tests through ``Windows()``; the few that call the
Windows API (``msvcrt`` locks, ``OpenProcess``) are type-checked by
``mypy --platform win32`` and tested on Windows itself.

What differs, and what each side does:

- A folder cannot be opened, so it cannot be fsynced; NTFS journals its metadata, so
  a rename is as durable as its file once the file was flushed.
- Windows refuses to rename over, or delete, a file another process holds open (a PDF
  viewer, an antivirus scan, a scanner still writing): ``replace`` and ``remove``
  wait a little for it, then raise ``FileInUse`` with words for the user.
- ``os.kill(pid, 0)`` *terminates* the process on Windows instead of probing it.
- File locks are ``msvcrt.locking`` rather than ``flock``.
- Paths over ``MAX_PATH`` (260) need the ``\\\\?\\`` prefix unless the user changed a
  registry setting.
- Hard links fail on FAT and some network shares with errors POSIX never gives.
"""

from __future__ import annotations

import contextlib
import errno
import io
import ntpath
import os
import posixpath
import signal
import stat
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import IO, Any, TypeVar

from meterai.errors import FileInUse

APP_NAME = "meterai-desk"
T = TypeVar("T")

# Waits between attempts while another process holds a file (about 1.9 s in all): long
# enough for an antivirus scan or a viewer's reload, short enough that a file left open
# in a viewer gets the user's attention quickly (Go's robustio waits up to 2 s).
IN_USE_DELAYS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)

# Popen's ``creationflags`` for a console program the windowed app starts (the sandbox
# child is the CLI): on Windows it would get a console window of its own. ``subprocess``
# (with ``selectors``, some 5 ms) only where it is used: the GUI's start-up runs no program.
if sys.platform == "win32":
    import subprocess

    NO_WINDOW = subprocess.CREATE_NO_WINDOW
else:
    NO_WINDOW = 0

# Signals that ask a long-running command (``sync --watch``, ``kiosk``) to stop cleanly:
# a service manager's SIGTERM, and on Windows Ctrl+Break in the console (SIGBREAK), whose
# default ends the process on the spot. Ctrl+C is KeyboardInterrupt on both.
if sys.platform == "win32":
    STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGBREAK)
else:
    STOP_SIGNALS = (signal.SIGTERM,)

# Windows error numbers (``OSError.winerror``).
_ERROR_INVALID_FUNCTION = 1
_ERROR_ACCESS_DENIED = 5
_ERROR_NOT_SAME_DEVICE = 17
_ERROR_SHARING_VIOLATION = 32
_ERROR_LOCK_VIOLATION = 33
_ERROR_NOT_SUPPORTED = 50
# CreateDirectoryW stops at MAX_PATH - 12 (248); a temp file's name is added under a
# folder we prefix, so the prefix starts well before that.
_LONG_PATH = 200
_LONG_PREFIX = "\\\\?\\"


@dataclass(frozen=True)
class UserDirs:
    """Where a user's data, settings and caches live when no ``--data-dir`` is given."""

    data: Path
    config: Path
    cache: Path


class Posix:
    """Linux, the BSDs and macOS: the reference behaviour."""

    name = "posix"
    paths: ModuleType = posixpath

    def fsync_dir(self, path: Path) -> None:
        """Make a rename inside ``path`` durable."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)

    def in_use(self, exc: OSError) -> bool:
        """Whether ``exc`` means another process holds the file open (never, here)."""
        return False

    def read_only_file(self, exc: OSError) -> bool:
        """Whether ``exc`` may come from the file's read-only flag (POSIX ignores it)."""
        return False

    def cannot_link(self, exc: OSError) -> bool:
        """Whether a hard link failed because the file system has none (copy instead)."""
        return exc.errno in (errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP)

    def try_lock(self, handle: IO[Any]) -> bool:
        """Take an exclusive lock on the open file without waiting; False if it is held."""
        if sys.platform == "win32":
            raise NotImplementedError
        import fcntl

        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def pid_alive(self, pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True  # someone else's process: alive
        return True

    def long_path(self, path: str) -> str:
        return path

    def folder_writable(self, folder: Path) -> bool:
        """``access`` reports EROFS for a read-only mount, for root too; making a file in
        a folder takes both write and search (x) permission."""
        return os.access(folder, os.W_OK | os.X_OK)

    def user_dirs(self) -> UserDirs:
        """The XDG folders (macOS's under ``~/Library``); ``platformdirs`` is imported here,
        not with the module, since a ``--data-dir`` and ``METERAI_CACHE_DIR`` need none."""
        import platformdirs

        dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
        return UserDirs(
            data=Path(dirs.user_data_dir),
            config=Path(dirs.user_config_dir),
            cache=Path(dirs.user_cache_dir),
        )

    def instance_name(self, data_dir: str, user: str) -> str:
        """A name for the app's single-instance server, one per user and data folder.

        QLocalServer puts it in the temp folder on POSIX and in the machine-wide
        ``\\\\.\\pipe\\`` namespace on Windows, so the user is part of it (two people
        on one kiosk PC keep their own windows); so is the data folder, since
        ``--data-dir`` makes a separate app. Hashed: short, and safe in either place.
        """
        import hashlib  # here: not worth 3 ms on every start of the CLI

        key = f"{user}\0{self.paths.normcase(self.paths.normpath(data_dir))}"
        return f"{APP_NAME}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:24]}"


class Windows(Posix):
    name = "windows"
    paths: ModuleType = ntpath

    def fsync_dir(self, path: Path) -> None:
        """A folder cannot be opened on Windows; NTFS journals the rename itself."""

    def in_use(self, exc: OSError) -> bool:
        winerror = getattr(exc, "winerror", None)
        return winerror in (_ERROR_SHARING_VIOLATION, _ERROR_LOCK_VIOLATION) or (
            winerror == _ERROR_ACCESS_DENIED  # a file open without FILE_SHARE_DELETE
        )

    def read_only_file(self, exc: OSError) -> bool:
        return getattr(exc, "winerror", None) == _ERROR_ACCESS_DENIED

    def cannot_link(self, exc: OSError) -> bool:
        """FAT has no hard links (ERROR_INVALID_FUNCTION), shares may refuse them."""
        return super().cannot_link(exc) or getattr(exc, "winerror", None) in (
            _ERROR_INVALID_FUNCTION,
            _ERROR_NOT_SAME_DEVICE,
            _ERROR_NOT_SUPPORTED,
            _ERROR_ACCESS_DENIED,
        )

    def try_lock(self, handle: IO[Any]) -> bool:
        """Lock the file's first byte: ``msvcrt.locking`` locks from the current position."""
        if sys.platform != "win32":
            raise NotImplementedError
        import msvcrt

        handle.seek(0)
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def pid_alive(self, pid: int) -> bool:
        """``OpenProcess`` and its exit code: ``os.kill(pid, 0)`` would end the process."""
        if sys.platform != "win32":
            raise NotImplementedError
        import ctypes
        from ctypes import wintypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        kernel32.OpenProcess.restype = wintypes.HANDLE
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.get_last_error() == _ERROR_ACCESS_DENIED  # exists, not ours
        try:
            code = wintypes.DWORD()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return True
            return bool(code.value == 259)  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)

    def long_path(self, path: str) -> str:
        """``\\\\?\\C:\\...`` (or ``\\\\?\\UNC\\server\\...``) past MAX_PATH; the prefix
        turns off Windows' own clean-up of the name, so it is normalised first."""
        if len(path) < _LONG_PATH or path.startswith(_LONG_PREFIX) or not ntpath.isabs(path):
            return path
        full = ntpath.normpath(path)
        if full.startswith("\\\\"):
            return f"{_LONG_PREFIX}UNC\\{full[2:]}"
        return _LONG_PREFIX + full

    def folder_writable(self, folder: Path) -> bool:
        """By trying: ``os.access`` on Windows reads only the read-only attribute, which
        folders ignore, so a write-protected stick or a folder the user's ACL refuses
        looked writable, and its refusal went unexplained. The probe is deleted on close
        by the OS (``O_TEMPORARY``), even if this process dies holding it."""
        try:
            with tempfile.TemporaryFile(dir=long_path(folder)):
                return True
        except OSError:
            return False

    def user_dirs(self) -> UserDirs:
        """All under ``%LOCALAPPDATA%\\meterai-desk``: never the roaming profile, which
        would copy a live SQLite database between PCs at every logon and logoff."""
        from platformdirs.windows import Windows as WindowsDirs

        dirs = WindowsDirs(APP_NAME, appauthor=False, roaming=False)
        return UserDirs(
            data=Path(dirs.user_data_dir),
            config=Path(dirs.user_config_dir),
            cache=Path(dirs.user_cache_dir),
        )


current: Posix = Windows() if sys.platform == "win32" else Posix()


def fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable (nothing to do where folders cannot be opened)."""
    current.fsync_dir(path)


def retry_in_use(operation: Callable[[], T], path: Path) -> T:
    """Run ``operation``; while another process holds ``path`` open, wait and try again.

    After ``IN_USE_DELAYS`` it raises ``FileInUse`` naming ``path``: the caller's temp
    file and transaction are untouched, so nothing is lost and the same step succeeds
    once the other program lets go.
    """
    for delay in (*IN_USE_DELAYS, None):
        try:
            return operation()
        except OSError as exc:
            if not current.in_use(exc):
                raise
            if delay is None:
                raise FileInUse(path=str(path)) from exc
            time.sleep(delay)
    raise AssertionError("unreachable")


def replace(src: Path, dest: Path) -> None:
    """``os.replace`` as POSIX does it: over a read-only ``dest`` too, and waiting a
    little for a reader of ``dest`` (a viewer, a scan) to let go."""
    _past_read_only(lambda: os.replace(long_path(src), long_path(dest)), dest)


def remove(path: Path) -> None:
    """Delete ``path`` if it exists: also when read-only, or briefly held by another process."""
    _past_read_only(lambda: long_path(path).unlink(missing_ok=True), path)


def _past_read_only(operation: Callable[[], None], path: Path) -> None:
    """Windows refuses to replace or delete a read-only file; POSIX does not look."""

    def attempt() -> None:
        try:
            operation()
        except PermissionError as exc:
            if not current.read_only_file(exc) or not _clear_read_only(path):
                raise
            operation()

    retry_in_use(attempt, path)


def _clear_read_only(path: Path) -> bool:
    """Make ``path`` writable; True if it was read-only (so deleting it is worth a retry)."""
    try:
        mode = os.stat(long_path(path)).st_mode
    except OSError:
        return False
    if mode & stat.S_IWRITE:
        return False
    os.chmod(long_path(path), mode | stat.S_IWRITE)
    return True


def try_lock(path: Path) -> IO[bytes] | None:
    """The open, exclusively locked ``path`` (created if missing); ``None`` if another
    process holds it. The lock lasts until the returned file is closed, or the process
    ends however it ends."""
    handle = open(long_path(path), "a+b")  # noqa: SIM115 - the caller owns the handle
    try:
        if current.try_lock(handle):
            return handle
    except BaseException:
        handle.close()
        raise
    handle.close()
    return None


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs (the same user's or another's)."""
    if pid == os.getpid():
        return True
    return current.pid_alive(pid)


def long_path(path: Path) -> Path:
    """``path`` spelt so the OS opens it even past MAX_PATH (unchanged on POSIX)."""
    spelt = current.long_path(str(path))
    return path if spelt == str(path) else Path(spelt)


def folder_writable(folder: Path) -> bool:
    """Whether new files can be made in ``folder`` (an existing one)."""
    return current.folder_writable(folder)


def cannot_link(exc: OSError) -> bool:
    return current.cannot_link(exc)


def user_dirs() -> UserDirs:
    return current.user_dirs()


def instance_name(data_dir: Path) -> str:
    """The single-instance server's name for this user and data folder (see ``Posix``)."""
    import getpass

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = ""
    with contextlib.suppress(OSError):
        data_dir = data_dir.resolve()
    return current.instance_name(str(data_dir), user)


def tolerant_console() -> None:
    """A character the console's encoding lacks becomes ``?``, never a crash.

    Redirected to a file or a pipe, Python on Windows writes in the ANSI code page
    (cp1252), which has no ``✓``, ``✗`` or ``−``: ``meterai verify > report.txt`` died
    with ``UnicodeEncodeError`` after the work was done. A windowed program has no
    streams at all (``None``), which is left as it is.
    """
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
            stream.reconfigure(errors="replace")

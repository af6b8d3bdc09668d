"""The platform layer, its Windows side driven on Linux where that is honest.

What Windows decides (a sharing violation, a read-only file refused, FAT without hard
links) is raised here exactly as Python raises it there: an ``OSError`` with its
``winerror``. Everything around it is real: the temp files, the renames, the folders,
the outbox's document store. The parts that call the Windows API itself (``msvcrt``
locks, ``OpenProcess``) run only on Windows; ``mypy --platform win32`` checks them here.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path, PureWindowsPath

import pytest

from meterai import system
from meterai.documents.store import DocumentStore
from meterai.errors import FileInUse
from meterai.fsutil import TEMP_PREFIX, atomic_write_bytes, sweep_temp_files
from meterai.i18n import set_language
from meterai.kiosk.taking import Layout, move_no_overwrite, stage

SHARING_VIOLATION, ACCESS_DENIED, INVALID_FUNCTION = 32, 5, 1


def windows_error(winerror: int, path: object, code: int = errno.EACCES) -> OSError:
    """The exception Python raises on Windows (``PermissionError`` for EACCES)."""
    exc = OSError(code, os.strerror(code), str(path))
    exc.winerror = winerror  # type: ignore[attr-defined]
    return exc


class WindowsRulesHere(system.Windows):
    """Windows' rules for files, with this machine's own processes, locks and folders."""

    pid_alive = system.Posix.pid_alive
    try_lock = system.Posix.try_lock
    user_dirs = system.Posix.user_dirs


@pytest.fixture
def on_windows(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The layer's Windows rules in force, with no waiting between attempts."""
    monkeypatch.setattr(system, "current", WindowsRulesHere())
    monkeypatch.setattr(system, "IN_USE_DELAYS", (0.0, 0.0, 0.0))
    yield


def refuse(
    monkeypatch: pytest.MonkeyPatch, name: str, times: int, winerror: int = SHARING_VIOLATION
) -> list[int]:
    """``os.<name>`` fails ``times`` times as Windows does while another process holds
    the file open, then works; returns the count of calls."""
    real: Callable[..., None] = getattr(os, name)
    calls = [0]

    def held_open(*args: object, **kwargs: object) -> None:
        calls[0] += 1
        if calls[0] <= times:
            raise windows_error(winerror, args[-1])
        real(*args, **kwargs)

    monkeypatch.setattr(os, name, held_open)
    return calls


def refuse_read_only(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """``os.<name>`` refuses a read-only target (``args[-1]``) as Windows does; POSIX
    never looks at the target's mode."""
    real: Callable[..., None] = getattr(os, name)

    def windows_rule(*args: object, **kwargs: object) -> None:
        target = Path(str(args[-1]))
        if target.exists() and not target.stat().st_mode & stat.S_IWRITE:
            raise windows_error(ACCESS_DENIED, target)
        real(*args, **kwargs)

    monkeypatch.setattr(os, name, windows_rule)


def temp_files(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX)]


# --- a file another process holds open -----------------------------------------------


@pytest.mark.usefixtures("on_windows")
def test_a_reader_that_lets_go_is_waited_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "out" / "stamped.pdf"
    dest.parent.mkdir()
    dest.write_bytes(b"old")
    calls = refuse(monkeypatch, "replace", times=2)
    atomic_write_bytes(dest, b"new")
    assert calls[0] == 3
    assert dest.read_bytes() == b"new"
    assert temp_files(dest.parent) == []


@pytest.mark.usefixtures("on_windows")
def test_a_file_left_open_is_named_and_nothing_is_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "stamped.pdf"
    dest.write_bytes(b"old")
    refuse(monkeypatch, "replace", times=100)
    with pytest.raises(FileInUse) as caught:
        atomic_write_bytes(dest, b"new")
    assert dest.read_bytes() == b"old"
    assert temp_files(tmp_path) == []
    set_language("en")
    assert caught.value.user_message().startswith(f"{dest} could not be replaced or deleted")


def test_posix_has_no_sharing_violations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused rename on POSIX is a real permission problem: raised at once, untouched."""
    monkeypatch.setattr(system, "current", system.Posix())
    calls = refuse(monkeypatch, "replace", times=1)
    with pytest.raises(PermissionError):
        system.replace(tmp_path / "a", tmp_path / "b")
    assert calls[0] == 1


# --- read-only files: Windows refuses to replace or delete them ------------------------


@pytest.mark.usefixtures("on_windows")
def test_a_damaged_read_only_copy_in_the_store_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "doc.pdf"
    source.write_bytes(b"%PDF-1.7\n" + b"x" * 100 + b"\n%%EOF\n")
    store = DocumentStore(tmp_path / "data")
    stored = store.put(source)
    os.chmod(stored.path, 0o644)
    stored.path.write_bytes(b"damaged")
    os.chmod(stored.path, 0o444)
    refuse_read_only(monkeypatch, "replace")
    again = store.put(source)
    assert store.check(again.sha256)
    assert temp_files(store.folder) == []


@pytest.mark.usefixtures("on_windows")
def test_a_read_only_temp_file_a_crash_left_is_swept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store makes its temp copy read-only before the rename: a crash between the two
    left a file the next start's sweep could not delete on Windows (PermissionError)."""
    leftover = tmp_path / f"{TEMP_PREFIX}999999999-abc"
    leftover.write_bytes(b"half a copy")
    os.chmod(leftover, 0o444)
    refuse_read_only(monkeypatch, "unlink")
    assert sweep_temp_files(tmp_path) == 1
    assert not leftover.exists()


@pytest.mark.usefixtures("on_windows")
def test_a_leftover_a_scanner_holds_is_left_for_the_next_sweep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweep runs when the store opens: a leftover an antivirus held past the wait
    stopped the start with FileInUse, for a file nobody needs."""
    held = tmp_path / f"{TEMP_PREFIX}999999999-abc"
    held.write_bytes(b"half a copy")
    gone = tmp_path / f"{TEMP_PREFIX}999999998-abc"
    gone.write_bytes(b"half a copy")
    real_unlink = os.unlink

    def scanner_holds(path: object, *args: object, **kwargs: object) -> None:
        if Path(str(path)) == held:
            raise windows_error(SHARING_VIOLATION, path)
        real_unlink(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "unlink", scanner_holds)
    assert sweep_temp_files(tmp_path) == 1
    assert held.exists() and not gone.exists()
    monkeypatch.setattr(os, "unlink", real_unlink)
    assert sweep_temp_files(tmp_path) == 1
    assert not held.exists()


def test_a_live_writers_temp_file_is_kept(tmp_path: Path) -> None:
    """The sweep asks the platform whether the writer lives (never ``os.kill`` on Windows,
    where it ends the process): a child of ours is alive until it is reaped."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        mine = tmp_path / f"{TEMP_PREFIX}{child.pid}-abc"
        mine.write_bytes(b"being written")
        assert sweep_temp_files(tmp_path) == 0
        assert mine.exists()
    finally:
        child.kill()
        child.wait()
    assert not system.pid_alive(child.pid)
    assert sweep_temp_files(tmp_path) == 1
    assert system.pid_alive(os.getpid())


# --- the kiosk: a drop its writer still holds, a drive with no hard links --------------


@pytest.mark.usefixtures("on_windows")
def test_a_drop_still_open_by_its_writer_is_taken_at_a_later_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = Layout(tmp_path / "in", tmp_path / "out", tmp_path / "rejected")
    drop = layout.inbox / "ani" / "ijazah.pdf"
    drop.parent.mkdir(parents=True)
    drop.write_bytes(b"%PDF-1.7\n%%EOF\n")
    refuse(monkeypatch, "rename", times=1)
    assert stage(layout, "ani", drop) is None
    assert drop.exists()
    assert list((layout.staging / "ani").iterdir()) == []
    staged = stage(layout, "ani", drop)
    assert staged is not None and staged.read_bytes() == b"%PDF-1.7\n%%EOF\n"
    assert not drop.exists()


@pytest.mark.usefixtures("on_windows")
def test_a_kiosk_folder_on_fat_is_moved_by_copying(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FAT (a USB stick) has no hard links: Windows says ERROR_INVALID_FUNCTION (EINVAL)."""
    src = tmp_path / "staged.pdf"
    src.write_bytes(b"scan")

    def no_links(*_args: object, **_kwargs: object) -> None:
        raise windows_error(INVALID_FUNCTION, src, errno.EINVAL)

    monkeypatch.setattr(os, "link", no_links)
    moved = move_no_overwrite(src, tmp_path / "originals", "scan.pdf")
    assert moved.read_bytes() == b"scan"
    assert not src.exists()


# --- names: long paths, folders, the single-instance server ---------------------------


def test_a_path_past_max_path_gets_the_long_path_prefix() -> None:
    windows = system.Windows()
    deep = "C:\\Users\\Ani\\Downloads\\" + "BERKAS CASN 2026\\" * 14 + "ijazah.pdf"
    assert len(deep) > 260
    assert windows.long_path(deep) == "\\\\?\\" + deep
    # The prefix turns off Windows' clean-up, so the name is normalised first.
    messy = deep.replace("\\", "/").replace("Downloads/", "Downloads/./x/../")
    assert windows.long_path(messy) == "\\\\?\\" + deep
    share = "\\\\server\\kiosk\\" + "masuk\\" * 40 + "a.pdf"
    assert windows.long_path(share) == "\\\\?\\UNC\\server\\kiosk\\" + "masuk\\" * 40 + "a.pdf"
    for unchanged in ("C:\\Users\\Ani\\a.pdf", "\\\\?\\" + deep, "relative\\" * 40):
        assert windows.long_path(unchanged) == unchanged
    assert system.Posix().long_path("/" + "a/" * 200) == "/" + "a/" * 200


def test_windows_keeps_everything_in_local_app_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Driven through platformdirs' own Windows class and its documented overrides."""
    monkeypatch.setenv("WIN_PD_OVERRIDE_LOCAL_APPDATA", "C:\\Users\\Ani\\AppData\\Local")
    monkeypatch.setenv("WIN_PD_OVERRIDE_APPDATA", "C:\\Users\\Ani\\AppData\\Roaming")
    dirs = system.Windows().user_dirs()
    home = PureWindowsPath("C:\\Users\\Ani\\AppData\\Local\\meterai-desk")
    assert PureWindowsPath(dirs.data) == home
    assert PureWindowsPath(dirs.config) == home  # settings.json beside the outbox
    assert PureWindowsPath(dirs.cache) == home / "Cache"


def test_the_instance_name_is_one_per_user_and_data_folder() -> None:
    windows = system.Windows()
    name = windows.instance_name("C:\\Users\\Ani\\AppData\\Local\\meterai-desk", "ani")
    assert name == windows.instance_name("c:/users/ani/appdata/local/meterai-desk/", "ani")
    assert name != windows.instance_name("C:\\Users\\Ani\\AppData\\Local\\meterai-desk", "budi")
    assert name != windows.instance_name("D:\\kiosk\\data", "ani")
    posix = system.Posix()
    assert posix.instance_name("/home/ani/Data", "ani") != posix.instance_name(
        "/home/ani/data", "ani"
    )
    assert len(name) < 64 and name.replace("-", "").isalnum()


# --- locks ----------------------------------------------------------------------------


def test_a_second_lock_on_the_same_file_is_refused(tmp_path: Path) -> None:
    """``flock`` here, ``msvcrt.locking`` on Windows: the same call, the same answer."""
    first = system.try_lock(tmp_path / "instance.lock")
    assert first is not None
    try:
        assert system.try_lock(tmp_path / "instance.lock") is None
    finally:
        first.close()
    again = system.try_lock(tmp_path / "instance.lock")
    assert again is not None
    again.close()


# --- the console ----------------------------------------------------------------------


def test_a_windows_code_page_gets_question_marks_not_a_crash() -> None:
    code = "from meterai import system; system.tolerant_console(); print('✓ utuh − ok')"
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, env=env, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode("cp1252").strip() == "? utuh ? ok"

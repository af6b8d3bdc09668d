"""File events from watchdog, on a real folder: what the kiosk's loop is told, and when."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from meterai.kiosk.watch import FileEvent, Watcher


@pytest.fixture
def watcher(tmp_path: Path) -> Iterator[Watcher]:
    watching = Watcher(tmp_path / "inbox")
    watching.root.mkdir()
    watching.start()
    yield watching
    watching.stop()


def _until(watcher: Watcher, wanted: Callable[[list[FileEvent]], bool]) -> list[FileEvent]:
    seen: list[FileEvent] = []
    deadline = time.monotonic() + 10
    while not wanted(seen) and time.monotonic() < deadline:
        seen += watcher.drain()
        time.sleep(0.02)
    return seen


def test_a_new_customer_folder_is_reported_as_a_folder(watcher: Watcher) -> None:
    (watcher.root / "budi").mkdir()
    seen = _until(watcher, lambda s: FileEvent("folder", watcher.root / "budi") in s)
    assert FileEvent("folder", watcher.root / "budi") in seen


def test_a_file_written_in_a_watched_folder_is_created_then_closed(watcher: Watcher) -> None:
    folder = watcher.root / "budi"
    folder.mkdir()
    watcher.watch(folder)
    watcher.watch(folder)  # watched once, whatever the rescans ask
    (folder / "a.pdf").write_bytes(b"%PDF-1.7\n")
    seen = _until(watcher, lambda s: FileEvent("closed", folder / "a.pdf") in s)
    kinds = [e.kind for e in seen if e.path == folder / "a.pdf"]
    assert kinds[0] == "created" and "closed" in kinds


def test_a_file_renamed_in_is_closed_at_its_new_name_and_gone_at_the_old(
    watcher: Watcher,
) -> None:
    """A copy tool that writes ``a.pdf.part`` then renames it: the .part is gone."""
    folder = watcher.root / "siti"
    folder.mkdir()
    watcher.watch(folder)
    (folder / "a.pdf.part").write_bytes(b"%PDF-1.7\n")
    os.replace(folder / "a.pdf.part", folder / "a.pdf")
    seen = _until(watcher, lambda s: FileEvent("closed", folder / "a.pdf") in s)
    assert FileEvent("gone", folder / "a.pdf.part") in seen


def test_a_folder_that_could_not_be_watched_is_watched_when_asked_again(
    watcher: Watcher,
) -> None:
    """The first try fails quietly (the folder went away); the next rescan asks again."""
    folder = watcher.root / "late"
    watcher.watch(folder)
    folder.mkdir()
    watcher.watch(folder)
    (folder / "b.pdf").write_bytes(b"%PDF-1.7\n")
    seen = _until(watcher, lambda s: FileEvent("closed", folder / "b.pdf") in s)
    assert FileEvent("closed", folder / "b.pdf") in seen

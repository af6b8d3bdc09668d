"""When a dropped file is complete: the one decision that keeps a half-copied file out.

A file is ready when its size and modification time have not changed for ``settle``
seconds and no write is known to be in progress; a close-after-write event (or a
rename into the folder) says the writer is done, so it only needs ``grace`` seconds
of quiet. A writer that stalls with the file open (a slow network copy) is waited
for until it closes; only if the close was missed (an overflowed event queue) does
``stale`` seconds of quiet take it anyway. Pure logic, with the clock passed in, so
the rules are tested without sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Stat = tuple[int, int]  # size, mtime in ns


@dataclass
class _Track:
    stat: Stat | None
    since: float
    writing: bool = False
    closed: bool = False


@dataclass(frozen=True)
class SettleRules:
    settle: float = 2.0
    grace: float = 0.3
    stale: float = 120.0


class Settler:
    def __init__(self, rules: SettleRules, clock: Callable[[], float]) -> None:
        self.rules = rules
        self._clock = clock
        self._files: dict[Path, _Track] = {}

    def observe(self, path: Path, stat: Stat | None) -> None:
        """A fresh stat (from a rescan or after an event); ``None`` when the file is gone."""
        if stat is None:
            self._files.pop(path, None)
            return
        track = self._files.get(path)
        if track is None:
            self._files[path] = _Track(stat, self._clock())
        elif track.stat != stat:
            track.stat, track.since, track.closed = stat, self._clock(), False

    def written(self, path: Path, stat: Stat | None) -> None:
        """Created or modified: a writer has the file open until a close says otherwise."""
        self.observe(path, stat)
        track = self._files.get(path)
        if track is not None:
            track.writing, track.closed = True, False
            track.since = self._clock()

    def closed(self, path: Path, stat: Stat | None) -> None:
        """Closed after writing, or renamed in whole: complete unless it changes again."""
        self.observe(path, stat)
        track = self._files.get(path)
        if track is not None:
            track.writing, track.closed = False, True

    def forget(self, path: Path) -> None:
        self._files.pop(path, None)

    def ready(self) -> list[Path]:
        now = self._clock()
        rules = self.rules
        found = []
        for path, track in self._files.items():
            quiet = now - track.since
            if (
                (track.closed and quiet >= rules.grace)
                or (not track.writing and quiet >= rules.settle)
                or quiet >= rules.stale
            ):
                found.append(path)
        return sorted(found)

    def tracked(self) -> list[Path]:
        return list(self._files)

    def stat_of(self, path: Path) -> Stat | None:
        track = self._files.get(path)
        return None if track is None else track.stat

    def __contains__(self, path: object) -> bool:
        return path in self._files


def stat_file(path: Path) -> Stat | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)

"""When a dropped file is complete: the one decision that keeps a half-copied file out.

A file is ready when its size and modification time have not changed for ``settle``
seconds and no write is known to be in progress; a close-after-write event (or a
rename into the folder) says the writer is done, so it only needs ``grace`` seconds
of quiet. A writer that stalls with the file open (a slow network copy) is waited
for until it closes; only if the close was missed (an overflowed event queue) does
``stale`` seconds of quiet take it anyway.

Quiet alone cannot tell a finished file from a stalled writer the events never
showed. A file written before its folder was watched (the first file of a new
customer folder), or while the folder's events are held back (watchdog holds them
for half a second after a file is moved out, as the kiosk does with each file it
takes), is known only by its stat; and a pause of the whole process (a long garbage
collection on a loaded machine) counts as quiet although the writer could not run.
Such a file must also look complete (``looks_complete``): taken half-copied, it was
"repaired", paid for and refused by the provider, and the whole copy was then
bought again as a different document. Pure logic, with the clock and that check
passed in, so the rules are tested without sleeping.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from meterai.errors import NotARegularFile
from meterai.fsutil import open_regular

Stat = tuple[int, int]  # size, mtime in ns
_PDF_HEADER = b"%PDF-"
_PDF_END = b"%%EOF"
_ENDS = 1024  # readers look for the header in the first KiB and %%EOF in the last


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
    def __init__(
        self,
        rules: SettleRules,
        clock: Callable[[], float],
        complete: Callable[[Path], bool] = lambda _path: True,
    ) -> None:
        self.rules = rules
        self._clock = clock
        self._complete = complete
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
        return sorted(p for p, track in self._files.items() if self._ready(p, track, now))

    def _ready(self, path: Path, track: _Track, now: float) -> bool:
        quiet = now - track.since
        rules = self.rules
        if (track.closed and quiet >= rules.grace) or quiet >= rules.stale:
            return True
        return not track.writing and quiet >= rules.settle and self._complete(path)

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


def looks_complete(path: Path) -> bool:
    """Whether a file known only by its stat can be whole: a PDF ends with ``%%EOF`` and a
    partial copy of one almost never does. A file that does not begin like a PDF cannot
    become one by waiting, so it counts as whole and is refused at once."""
    try:
        with open_regular(path) as fh:
            head = fh.read(_ENDS)
            fh.seek(max(0, fh.seek(0, os.SEEK_END) - _ENDS))
            tail = fh.read()
    except NotARegularFile:
        return True  # a pipe or a device never completes: take it, to be refused
    except OSError:
        return False
    if len(head) < len(_PDF_HEADER):
        return False  # empty, or the copy has barely begun
    return _PDF_HEADER not in head or _PDF_END in tail

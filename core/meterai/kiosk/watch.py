"""File events from watchdog, handed to the kiosk's loop through a queue.

watchdog calls back on its own thread; the kiosk's decisions (and its SQLite
connection) stay on one thread, so events are only recorded here. The periodic
rescan stays the source of truth: an event makes a file seen sooner, a missed
event (an overflowed inotify queue, a network share) only makes it seen later.
"""

from __future__ import annotations

import logging
import queue
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from watchdog.events import (
    DirCreatedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

log = logging.getLogger(__name__)

Kind = Literal["created", "written", "closed", "gone", "folder"]


@dataclass(frozen=True)
class FileEvent:
    kind: Kind
    path: Path


class _Handler(FileSystemEventHandler):
    def __init__(self, sink: queue.SimpleQueue[FileEvent]) -> None:
        self.sink = sink

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            if isinstance(event, DirCreatedEvent | DirMovedEvent):
                target = event.dest_path if isinstance(event, DirMovedEvent) else event.src_path
                self.sink.put(FileEvent("folder", _path(target)))
            return
        if isinstance(event, FileMovedEvent):
            self.sink.put(FileEvent("gone", _path(event.src_path)))
            self.sink.put(FileEvent("closed", _path(event.dest_path)))
        elif isinstance(event, FileClosedEvent):
            self.sink.put(FileEvent("closed", _path(event.src_path)))
        elif isinstance(event, FileCreatedEvent):
            # Not "written": a rename whose two halves watchdog could not pair arrives as a
            # bare creation, and no close would ever follow it.
            self.sink.put(FileEvent("created", _path(event.src_path)))
        elif isinstance(event, FileModifiedEvent):
            self.sink.put(FileEvent("written", _path(event.src_path)))


def _path(raw: bytes | str) -> Path:
    return Path(raw.decode() if isinstance(raw, bytes) else raw)


class Watcher:
    """Events from the inbox and each customer folder; ``drain()`` returns what happened.

    Each folder is watched on its own, not the inbox recursively: the kiosk's staging
    folder inside the inbox churns (a folder per taken file), and a recursive watch
    would chase it for nothing and race watchdog's own bookkeeping.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._events: queue.SimpleQueue[FileEvent] = queue.SimpleQueue()
        self._handler = _Handler(self._events)
        self._observer: Any = None
        self._watched: set[Path] = set()

    def start(self) -> None:
        observer = Observer()
        observer.daemon = True
        observer.start()
        self._observer = observer
        self.watch(self.root)

    def watch(self, folder: Path) -> None:
        """Start watching ``folder`` (once); a failure leaves it to the rescans."""
        if self._observer is None or folder in self._watched:
            return
        try:
            self._observer.schedule(self._handler, str(folder), recursive=False)
        except OSError as exc:  # inotify limits, or the folder went away meanwhile
            log.warning("no file events for %s, relying on rescans: %s", folder, exc)
            return
        self._watched.add(folder)

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(5.0)
            self._observer = None
            self._watched.clear()

    def drain(self) -> list[FileEvent]:
        found = []
        while True:
            try:
                found.append(self._events.get_nowait())
            except queue.Empty:
                return found

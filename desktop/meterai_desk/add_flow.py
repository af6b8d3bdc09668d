"""Many files dropped at once become one add dialog after another.

Folders are expanded on a worker (walking a folder is disk I/O). Dialogs are opened
with ``open()``, not ``exec()``, so the window and the sync keep running while the
user places a stamp.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from meterai.settings import Paths
from meterai_desk.memory import PlacementMemory
from meterai_desk.ops import expand_paths
from meterai_desk.tasks import TaskRunner

if TYPE_CHECKING:
    # Imported when the first file is added: it brings pikepdf, pypdf and QtPdf, which
    # would otherwise make every start of the window wait for them.
    from meterai_desk.dialogs.add_dialog import AddDialog

log = logging.getLogger(__name__)


class AddFlow(QObject):
    queued = Signal(object)
    dialogOpened = Signal(object)

    def __init__(self, paths: Paths, tasks: TaskRunner, parent: QWidget) -> None:
        super().__init__(parent)
        self._paths, self._tasks, self._parent = paths, tasks, parent
        self._memory = PlacementMemory(paths)
        self._waiting: list[Path] = []
        self.dialog: AddDialog | None = None

    def add(self, paths: Iterable[Path]) -> None:
        chosen = list(paths)
        self._tasks.run(lambda: expand_paths(chosen), self._enqueue)

    def _enqueue(self, files: list[Path]) -> None:
        # Logged by name: support can then tell "the file never arrived" from "it did".
        log.info("add flow: %s", ", ".join(f.name for f in files) or "no PDF found")
        self._waiting.extend(files)
        if self.dialog is None:
            self._next()

    def _next(self) -> None:
        if not self._waiting:
            self.dialog = None
            return
        from meterai_desk.dialogs.add_dialog import AddDialog

        dialog = AddDialog(
            self._waiting.pop(0), self._paths, self._tasks, self._memory, self._parent
        )
        dialog.queued.connect(self.queued)
        dialog.finished.connect(lambda _result: self._closed(dialog))
        self.dialog = dialog
        dialog.open()
        self.dialogOpened.emit(dialog)

    def _closed(self, dialog: AddDialog) -> None:
        dialog.deleteLater()
        self._next()

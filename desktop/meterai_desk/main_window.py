"""The main window: composition only (widgets and actions live in their own modules)."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

from meterai.i18n import _
from meterai.settings import Paths
from meterai_desk.tasks import TaskRunner
from meterai_desk.widgets.outbox_view import OutboxModel, OutboxView


class MainWindow(QMainWindow):
    def __init__(self, paths: Paths, tasks: TaskRunner) -> None:
        super().__init__()
        self.paths = paths
        self.tasks = tasks
        self.outbox_model = OutboxModel(tasks, self)
        self.outbox_view = OutboxView(self.outbox_model, self)
        self.heading = QLabel(self)
        self.heading.setObjectName("heading")
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.addWidget(self.heading)
        layout.addWidget(self.outbox_view)
        self.setCentralWidget(central)
        self.resize(1100, 680)
        self.retranslate()
        self.outbox_model.modelReset.connect(self._update_status)
        self.outbox_model.reload()

    def retranslate(self) -> None:
        self.setWindowTitle(_("Meterai Desk"))
        self.heading.setText(_("Outbox"))
        self.outbox_model.retranslate()
        self._update_status()

    def _update_status(self) -> None:
        self.statusBar().showMessage(
            _("{count} requests in the outbox").format(count=self.outbox_model.total)
        )

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def closeEvent(self, event: object) -> None:
        self.tasks.shutdown()
        super().closeEvent(event)  # type: ignore[arg-type]

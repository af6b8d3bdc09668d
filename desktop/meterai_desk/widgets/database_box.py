"""Where the outbox lives: this computer's own file, or a database shared by the counters.

One box for Settings → Account and the kiosk dialog. *Test connection* and *Use this
database* run on a worker (``meterai.outbox.postgres.setting``: the network, the
keyring and the settings file); the password goes to the OS keyring, the address (never
the password) to the settings file. The choice takes effect at the next start, so the
outbox in use is never swapped under running work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from meterai.i18n import N_, _
from meterai.messages import Message
from meterai.outbox.postgres.address import SETTING
from meterai.settings import Paths, Settings
from meterai_desk.errors import error_text
from meterai_desk.qtranslator import follow_language
from meterai_desk.tasks import TaskRunner

if TYPE_CHECKING:
    from meterai.outbox.postgres.setting import DatabaseReport

LOCAL, SHARED = "local", "shared"
_SAVED = N_("Saved. Meterai Desk uses this database from its next start.")
_TESTING = N_("Testing the connection…")


def _check(text: str, password: str) -> DatabaseReport:
    from meterai.outbox.postgres.setting import check_database

    return check_database(text, password)


def _save(paths: Paths, settings: Settings, text: str | None, password: str) -> None:
    from meterai.outbox.postgres.setting import save_database

    save_database(paths, settings, text, password)


class DatabaseBox(QGroupBox):
    tested = Signal(object)  # a DatabaseReport
    saved = Signal()

    def __init__(
        self, paths: Paths, settings: Settings, tasks: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("databaseBox")
        self._paths, self._settings, self._tasks = paths, settings, tasks
        self._status: Message | str | None = None
        self.report: DatabaseReport | None = None
        self._build()
        current = str(settings.extra.get(SETTING) or "")
        self.kind.setCurrentIndex(self.kind.findData(SHARED if current else LOCAL))
        self.url.setText(current)
        self._show_kind()
        follow_language(self, self.retranslate)

    def _build(self) -> None:
        self.kind = QComboBox(self)
        self.kind.setObjectName("databaseKind")
        for data in (LOCAL, SHARED):
            self.kind.addItem("", data)
        self.url = QLineEdit(self)
        self.url.setObjectName("databaseUrl")
        self.password = QLineEdit(self)
        self.password.setObjectName("databasePassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.test = QPushButton(self)
        self.test.setObjectName("testDatabase")
        self.use = QPushButton(self)
        self.use.setObjectName("useDatabase")
        self.status = QLabel(self)
        self.status.setObjectName("databaseStatus")
        self.status.setWordWrap(True)
        self.form = QFormLayout()
        for widget in (self.kind, self.url, self.password):
            self.form.addRow(QLabel(self), widget)
        buttons = QHBoxLayout()
        buttons.addWidget(self.test)
        buttons.addWidget(self.use)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.kind.currentIndexChanged.connect(lambda _i: self._show_kind())
        self.test.clicked.connect(self.run_test)
        self.use.clicked.connect(self.submit)

    def shared(self) -> bool:
        return bool(self.kind.currentData() == SHARED)

    def _show_kind(self) -> None:
        for widget in (self.url, self.password):
            self.form.setRowVisible(widget, self.shared())
        self.test.setVisible(self.shared())

    # --- on workers ------------------------------------------------------------------

    def run_test(self) -> None:
        text, password = self.url.text(), self.password.text()
        self.test.setEnabled(False)
        self._say(_TESTING)
        self._tasks.run(lambda: _check(text, password), self._tested, self._failed, owner=self)

    def _tested(self, report: DatabaseReport) -> None:
        self.test.setEnabled(True)
        self.report = report
        self._say(report.message)
        self.tested.emit(report)

    def submit(self) -> None:
        text = self.url.text() if self.shared() else None
        paths, settings, password = self._paths, self._settings, self.password.text()
        self.use.setEnabled(False)
        self._tasks.run(
            lambda: _save(paths, settings, text, password), self._saved, self._failed, owner=self
        )

    def _saved(self, _result: object) -> None:
        self.use.setEnabled(True)
        self.password.clear()
        self._say(_SAVED)
        self.saved.emit()

    def _failed(self, exc: BaseException) -> None:
        self.test.setEnabled(True)
        self.use.setEnabled(True)
        self._say(error_text(exc, str(self._paths.logs_dir)))

    # --- words -------------------------------------------------------------------------

    def _say(self, status: Message | str | None) -> None:
        """Kept as a message id (or a Message) and worded at display: a language switch
        rewords it; an error text arrives worded already."""
        self._status = status
        self._show_status()

    def _show_status(self) -> None:
        status = self._status
        if isinstance(status, Message):
            self.status.setText(status.text())
        elif status in (_SAVED, _TESTING):
            self.status.setText(_(status))
        else:
            self.status.setText(status or "")

    def retranslate(self) -> None:
        self.setTitle(_("Database"))
        self.kind.setItemText(0, _("This computer only (built-in file)"))
        self.kind.setItemText(1, _("Shared by several counters (PostgreSQL)"))
        labels = (_("Outbox:"), _("Address:"), _("Password:"))
        for row, text in enumerate(labels):
            item = self.form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            if item is not None and isinstance(label := item.widget(), QLabel):
                label.setText(text)
        self.url.setPlaceholderText("postgresql://meterai@192.168.1.10:5432/meterai")
        self.password.setPlaceholderText(_("kept in the system keyring; empty: keep the saved one"))
        self.test.setText(_("Test connection"))
        self.use.setText(_("Use this database"))
        self._show_status()

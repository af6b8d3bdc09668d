"""Kiosk mode's questions: which folders, which document type, how many at once, when to warn.

The answers are checked by ``meterai.kiosk.setup`` on a worker (it creates the
folders, so it touches the disk), every problem at once and beside the field it
concerns; the dialog only closes on a setup that can start. The last answers are
offered again, because a counter runs the same kiosk every morning.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from meterai import doctypes
from meterai.doctypes import DocType
from meterai.i18n import _
from meterai.kiosk.setup import (
    CONCURRENCY_RANGE,
    SETTLE_RANGE,
    KioskChoice,
    KioskSetup,
    Problem,
    check_choice,
    remembered,
)
from meterai.settings import Paths, Settings
from meterai_desk.dialogs.files import path_row
from meterai_desk.errors import show_error
from meterai_desk.qtranslator import follow_language
from meterai_desk.tasks import TaskRunner
from meterai_desk.widgets.database_box import DatabaseBox

PER_FOLDER = "*"  # the combo box's data for "each folder names its type" (no real code is "*")
_INVALID = "border: 1px solid #b00020;"


class FolderDialog:
    """The folder chooser, behind a classmethod so tests can answer it."""

    @classmethod
    def ask(cls, parent: QWidget | None, title: str, start: str) -> str | None:
        chosen = QFileDialog.getExistingDirectory(parent, title, start)
        return chosen or None


class KioskDialog(QDialog):
    chosen = Signal(object)  # a KioskSetup
    loaded = Signal()

    def __init__(
        self,
        settings: Settings,
        tasks: TaskRunner,
        parent: QWidget | None = None,
        paths: Paths | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("kioskDialog")
        self._settings, self._tasks = settings, tasks
        # Several counters on one account share a database: chosen here too (the box is
        # the one of Settings → Account).
        self.database = None if paths is None else DatabaseBox(paths, settings, tasks, self)
        self.problems: tuple[Problem, ...] = ()
        self.ready = False
        self.setup: KioskSetup | None = None
        self._build()
        follow_language(self, self.retranslate)
        self._load()

    def _build(self) -> None:
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.inbox, self.choose_inbox = QLineEdit(self), QPushButton(self)
        self.inbox.setObjectName("kioskInbox")
        self.outbox, self.choose_outbox = QLineEdit(self), QPushButton(self)
        self.outbox.setObjectName("kioskOutbox")
        self.rejected_hint = QLabel(self)
        self.rejected_hint.setObjectName("rejectedHint")
        self.rejected_hint.setWordWrap(True)
        self.doc_type = QComboBox(self)
        self.doc_type.setObjectName("kioskDocType")
        self.concurrency = QSpinBox(self)
        self.concurrency.setRange(*CONCURRENCY_RANGE)
        self.low_balance = QSpinBox(self)
        self.low_balance.setRange(0, 1_000_000)
        self.settle = QDoubleSpinBox(self)
        self.settle.setObjectName("kioskSettle")
        self.settle.setRange(*SETTLE_RANGE)
        self.settle.setDecimals(1)
        self.settle.setSingleStep(0.5)
        self.problem_label = QLabel(self)
        self.problem_label.setObjectName("kioskProblems")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("#kioskProblems { color: #b00020; }")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.start = self.buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        self.start.setObjectName("startKiosk")
        self.start.setDefault(True)
        self.start.setEnabled(False)
        self._lay_out()
        self.choose_inbox.clicked.connect(lambda: self._browse(self.inbox))
        self.choose_outbox.clicked.connect(lambda: self._browse(self.outbox))
        self.inbox.textChanged.connect(lambda _text: self._show_rejected())
        self.start.clicked.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

    def _lay_out(self) -> None:
        self.form = QFormLayout()
        self.form.addRow(QLabel(self), path_row(self, self.inbox, self.choose_inbox))
        self.form.addRow(QLabel(self), path_row(self, self.outbox, self.choose_outbox))
        self.form.addRow(QLabel(self), self.doc_type)
        self.form.addRow(QLabel(self), self.concurrency)
        self.form.addRow(QLabel(self), self.low_balance)
        self.form.addRow(QLabel(self), self.settle)
        layout = QVBoxLayout(self)
        # Grow with the words (a long path, several problems) instead of clipping them.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        # Below the form, not in it: a wrapped label in a form row gets clipped.
        layout.addWidget(self.rejected_hint)
        layout.addWidget(self.problem_label)
        if self.database is not None:
            layout.addWidget(self.database)
        layout.addWidget(self.buttons)
        self.resize(640, 0)

    # --- loading and checking, on workers --------------------------------------------

    def _load(self) -> None:
        settings = self._settings
        self._tasks.db(
            lambda box: (doctypes.cached_types(box)[0], remembered(settings)),
            self._loaded,
            self._failed,
            owner=self,
        )

    def _loaded(self, facts: tuple[tuple[DocType, ...], KioskChoice]) -> None:
        types, choice = facts
        self.doc_type.clear()
        for t in types:
            self.doc_type.addItem(f"{t.kode} — {t.nama}", t.kode)
        self.doc_type.addItem("", PER_FOLDER)
        self._fill(choice)
        self.retranslate()
        self.ready = True
        self.start.setEnabled(True)
        self.loaded.emit()

    def _fill(self, choice: KioskChoice) -> None:
        self.inbox.setText(choice.inbox)
        self.outbox.setText(choice.outbox)
        wanted = PER_FOLDER if choice.doc_type is None else choice.doc_type
        self.doc_type.setCurrentIndex(self.doc_type.findData(wanted) if wanted else -1)
        self.concurrency.setValue(choice.concurrency)
        self.low_balance.setValue(choice.low_balance)
        self.settle.setValue(choice.settle)

    def choice(self) -> KioskChoice:
        data = self.doc_type.currentData() if self.doc_type.currentIndex() >= 0 else ""
        return KioskChoice(
            inbox=self.inbox.text().strip(),
            outbox=self.outbox.text().strip(),
            doc_type=None if data == PER_FOLDER else str(data or ""),
            concurrency=self.concurrency.value(),
            low_balance=self.low_balance.value(),
            settle=self.settle.value(),
        )

    def submit(self) -> None:
        """Check on a worker; the dialog stays open (and says why) unless all is well."""
        choice = self.choice()
        self.start.setEnabled(False)
        self.problem_label.setText(_("Checking the folders…"))
        self._tasks.run(lambda: check_choice(choice), self._checked, self._failed, owner=self)

    def _checked(self, result: KioskSetup | tuple[Problem, ...]) -> None:
        self.start.setEnabled(True)
        if isinstance(result, KioskSetup):
            self.problems, self.setup = (), result
            self._show_problems()
            self.chosen.emit(result)
            self.accept()
            return
        self.problems = result
        self._show_problems()

    def _failed(self, exc: BaseException) -> None:
        self.start.setEnabled(self.ready)
        self.problem_label.setText("")
        show_error(self, exc)

    def _browse(self, field: QLineEdit) -> None:
        chosen = FolderDialog.ask(self, _("Choose a folder"), field.text())
        if chosen:
            field.setText(chosen)

    # --- words ---------------------------------------------------------------------

    def retranslate(self) -> None:
        self.setWindowTitle(_("Kiosk mode"))
        self.intro.setText(
            _(
                "In kiosk mode every customer has a folder in the inbox. PDFs dropped there "
                "are stamped and written to the outbox, in a folder of the same name."
            )
        )
        labels = (
            _("Inbox:"),
            _("Outbox:"),
            _("Document type:"),
            _("Documents at once:"),
            _("Warn when the balance is at:"),
            _("Take a file once unchanged for:"),
        )
        for row, text in enumerate(labels):
            item = self.form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            if item is not None and isinstance(label := item.widget(), QLabel):
                label.setText(text)
        for button in (self.choose_inbox, self.choose_outbox):
            button.setText(_("Choose…"))
        self.doc_type.setPlaceholderText(_("Choose a document type"))
        per_folder = self.doc_type.findData(PER_FOLDER)
        if per_folder >= 0:
            self.doc_type.setItemText(per_folder, _("Each folder names its own (kiosk.json)"))
        self.low_balance.setSuffix(" " + _("stamps"))
        self.settle.setSuffix(" " + _("seconds"))
        self.settle.setToolTip(
            _("Longer if files arrive slowly, for example from a scanner over the network.")
        )
        self.start.setText(_("Start kiosk mode"))
        self._show_rejected()
        self._show_problems()

    def _show_rejected(self) -> None:
        """Where refused files will go, worked out from the text alone (no disk access)."""
        text = self.inbox.text().strip()
        where = str(Path(text).expanduser().parent / "rejected") if text else "—"
        self.rejected_hint.setText(
            _("Refused files go beside the inbox: {path}").format(path=where)
        )

    def _show_problems(self) -> None:
        fields = {
            "inbox": self.inbox,
            "outbox": self.outbox,
            "doc_type": self.doc_type,
            "concurrency": self.concurrency,
            "low_balance": self.low_balance,
            "settle": self.settle,
        }
        wrong = {p.field for p in self.problems}
        for name, widget in fields.items():
            widget.setStyleSheet(_INVALID if name in wrong else "")
        self.problem_label.setText("\n".join(f"• {p.message.text()}" for p in self.problems))

"""The kiosk dialog: it remembers, it checks on a worker, and it says what is wrong in words."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from meterai import i18n
from meterai.i18n import _
from meterai.kiosk.setup import KioskSetup
from meterai.settings import Paths, Settings
from meterai_desk import qtranslator
from meterai_desk.kiosk.dialog import PER_FOLDER, KioskDialog
from meterai_desk.tasks import TaskRunner

pytestmark = pytest.mark.usefixtures("in_english")  # assert on msgids, not translations


@pytest.fixture
def tasks(paths: Paths) -> Iterator[TaskRunner]:
    runner = TaskRunner(paths)
    yield runner
    runner.shutdown()


def _dialog(qtbot: QtBot, tasks: TaskRunner, settings: Settings | None = None) -> KioskDialog:
    qtranslator.install()
    dialog = KioskDialog(settings or Settings(), tasks)
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitUntil(lambda: dialog.ready)
    return dialog


def _start(qtbot: QtBot, dialog: KioskDialog) -> None:
    qtbot.mouseClick(dialog.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.start.isEnabled())


def _fill(dialog: KioskDialog, inbox: Path | str, outbox: Path | str, kode: str = "3") -> None:
    dialog.inbox.setText(str(inbox))
    dialog.outbox.setText(str(outbox))
    dialog.doc_type.setCurrentIndex(dialog.doc_type.findData(kode))


def test_empty_answers_are_named_one_by_one(qtbot: QtBot, tasks: TaskRunner) -> None:
    dialog = _dialog(qtbot, tasks)
    assert dialog.doc_type.currentIndex() == -1  # no type is chosen for the operator
    _start(qtbot, dialog)
    assert dialog.isVisible()
    assert {p.field for p in dialog.problems} == {"inbox", "outbox", "doc_type"}
    text = dialog.problem_label.text()
    assert _("Choose the inbox: customers' files are dropped in its folders.") in text
    assert _("Choose the document type for folders that name none.") in text
    assert "border" in dialog.inbox.styleSheet()

    i18n.set_language("en")
    qtbot.waitUntil(lambda: "Choose the inbox" in dialog.problem_label.text())
    assert dialog.start.text() == "Start kiosk mode"


def test_the_same_folder_twice_is_refused(qtbot: QtBot, tasks: TaskRunner, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, tasks)
    _fill(dialog, tmp_path / "kios", tmp_path / "kios")
    _start(qtbot, dialog)
    assert dialog.problem_label.text() == (
        "• " + _("The inbox and the outbox must be two different folders.")
    )
    assert not (tmp_path / "kios").exists()  # nothing is created for a refused setup


def test_an_outbox_inside_the_inbox_is_refused(
    qtbot: QtBot, tasks: TaskRunner, tmp_path: Path
) -> None:
    dialog = _dialog(qtbot, tasks)
    _fill(dialog, tmp_path / "masuk", tmp_path / "masuk" / "keluar")
    _start(qtbot, dialog)
    assert [p.field for p in dialog.problems] == ["outbox"]
    inside = _(
        "The outbox must not be inside the inbox, nor the inbox inside the "
        "outbox: the kiosk would take its own results as new documents."
    )
    assert dialog.problem_label.text() == "• " + inside


def test_an_outbox_where_refused_files_go_is_refused(
    qtbot: QtBot, tasks: TaskRunner, tmp_path: Path
) -> None:
    dialog = _dialog(qtbot, tasks)
    _fill(dialog, tmp_path / "masuk", tmp_path / "rejected")
    assert dialog.rejected_hint.text().endswith(str(tmp_path / "rejected"))
    _start(qtbot, dialog)
    assert str(tmp_path / "rejected") in dialog.problem_label.text()


def test_a_file_is_not_a_folder(qtbot: QtBot, tasks: TaskRunner, tmp_path: Path) -> None:
    (tmp_path / "catatan.txt").write_text("x")
    dialog = _dialog(qtbot, tasks)
    _fill(dialog, tmp_path / "catatan.txt", tmp_path / "keluar")
    _start(qtbot, dialog)
    assert dialog.problem_label.text() == (f"• {tmp_path / 'catatan.txt'} is a file, not a folder.")


def test_a_good_setup_creates_the_folders_and_is_chosen(
    qtbot: QtBot, tasks: TaskRunner, tmp_path: Path
) -> None:
    dialog = _dialog(qtbot, tasks)
    _fill(dialog, tmp_path / "loket" / "masuk", tmp_path / "loket" / "keluar", "4a")
    dialog.concurrency.setValue(6)
    dialog.settle.setValue(5.5)
    with qtbot.waitSignal(dialog.chosen, timeout=5000) as chosen:
        qtbot.mouseClick(dialog.start, Qt.MouseButton.LeftButton)
    setup = chosen.args[0]
    assert setup == KioskSetup(
        inbox=tmp_path / "loket" / "masuk",
        outbox=tmp_path / "loket" / "keluar",
        rejected=tmp_path / "loket" / "rejected",
        doc_type="4a",
        concurrency=6,
        low_balance=20,
        settle=5.5,
    )
    assert all(p.is_dir() for p in (setup.inbox, setup.outbox, setup.rejected))
    assert not dialog.isVisible()


def test_the_last_answers_are_offered_again(
    qtbot: QtBot, tasks: TaskRunner, tmp_path: Path
) -> None:
    settings = Settings(
        extra={
            "kiosk": {
                "inbox": "/srv/masuk",
                "outbox": "/srv/keluar",
                "type": None,
                "concurrency": 2,
                "settle": 3.5,
            },
            "low_balance": 150,
        }
    )
    dialog = _dialog(qtbot, tasks, settings)
    assert dialog.inbox.text() == "/srv/masuk" and dialog.outbox.text() == "/srv/keluar"
    assert dialog.doc_type.currentData() == PER_FOLDER
    assert dialog.doc_type.currentText() == "Each folder names its own (kiosk.json)"
    assert dialog.concurrency.value() == 2 and dialog.low_balance.value() == 150
    assert dialog.settle.value() == 3.5
    assert dialog.choice().doc_type is None

"""The database setting of Settings → Account and the kiosk dialog, against a real
PostgreSQL server: Test connection on a worker, the password to the keyring only, and a
folder whose own outbox still has documents on their way is not switched away from them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from meterai import i18n
from meterai.intake import IntakeOptions, queue_file
from meterai.outbox import Outbox
from meterai.outbox.postgres.address import DatabaseUrl
from meterai.outbox.postgres.connect import KEYRING_SERVICE
from meterai.settings import Paths, Settings, load_settings, resolve_paths
from meterai_desk import qtranslator
from meterai_desk.kiosk.dialog import KioskDialog
from meterai_desk.tasks import TaskRunner
from meterai_desk.widgets.database_box import SHARED, DatabaseBox
from tests.support.keyring import MemoryKeyring, memory_keyring
from tests.support.pdfs import make_pdf

__all__ = ["memory_keyring"]  # a fixture, used by name


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return resolve_paths(tmp_path / "data")


@pytest.fixture
def tasks(paths: Paths) -> Iterator[TaskRunner]:
    runner = TaskRunner(paths)
    yield runner
    runner.shutdown()


@pytest.fixture
def password(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The server's password, known from now on only to the test (typed in the box)."""
    secret = os.environ["PGPASSWORD"]
    monkeypatch.delenv("PGPASSWORD")
    return secret


def _box(qtbot: QtBot, paths: Paths, tasks: TaskRunner, url: str) -> DatabaseBox:
    i18n.set_language("en")
    qtranslator.install()
    box = DatabaseBox(paths, Settings(), tasks)
    qtbot.addWidget(box)
    box.show()
    box.kind.setCurrentIndex(box.kind.findData(SHARED))
    box.url.setText(url)
    return box


def _test(qtbot: QtBot, box: DatabaseBox) -> str:
    box.report = None
    qtbot.mouseClick(box.test, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.report is not None and box.test.isEnabled(), timeout=20000)
    return box.status.text()


def _use(qtbot: QtBot, box: DatabaseBox) -> str:
    box.status.clear()
    qtbot.mouseClick(box.use, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.use.isEnabled() and bool(box.status.text()), timeout=20000)
    return box.status.text()


def test_test_connection_says_what_is_there_and_the_password_goes_to_the_keyring_only(
    qtbot: QtBot,
    paths: Paths,
    tasks: TaskRunner,
    pg_url: str,
    password: str,
    memory_keyring: MemoryKeyring,
) -> None:
    box = _box(qtbot, paths, tasks, pg_url)
    box.password.setText("not-the-password")
    assert "cannot be reached" in _test(qtbot, box)
    assert box.report is not None and not box.report.ok

    box.password.setText(password)
    assert "the database is empty" in _test(qtbot, box)
    assert box.report is not None and box.report.ok

    assert "from its next start" in _use(qtbot, box)
    url = DatabaseUrl.parse(pg_url)
    assert memory_keyring.store == {(KEYRING_SERVICE, url.keyring_user): password}
    assert load_settings(paths).extra["database"] == str(url)
    assert password not in paths.settings_file.read_text()
    assert box.password.text() == ""

    assert "the database is empty" in _test(qtbot, box)  # the keyring's password now


def test_a_folder_whose_own_outbox_has_documents_on_their_way_is_not_switched(
    qtbot: QtBot,
    paths: Paths,
    tasks: TaskRunner,
    pg_url: str,
    password: str,
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
) -> None:
    box = Outbox.open(paths)
    try:
        queue_file(box, paths, make_pdf(tmp_path / "a.pdf"), IntakeOptions(doc_type="3"))
    finally:
        box.close()
    widget = _box(qtbot, paths, tasks, pg_url)
    widget.password.setText(password)

    assert "1 documents are still on their way" in _use(qtbot, widget)
    assert "database" not in load_settings(paths).extra
    assert memory_keyring.store == {}


def test_the_kiosk_dialog_offers_the_same_setting(
    qtbot: QtBot, paths: Paths, tasks: TaskRunner
) -> None:
    dialog = KioskDialog(Settings(), tasks, None, paths)
    qtbot.addWidget(dialog)
    assert dialog.findChild(DatabaseBox) is dialog.database is not None
    assert not dialog.database.shared()  # this computer's own file until told otherwise

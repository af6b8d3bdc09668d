"""Periksa meterai (issue 18 item 3): the GUI's checker on the four files a receiver meets.

Real widgets offscreen, real files (a sandbox stamp over HTTPS, an appended revision, a
picture of a stamp on a page image, a plain PDF) and the real check on the work pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from meterai import i18n
from meterai.sandbox import SandboxServer
from meterai.settings import Paths, Profile
from meterai_desk import qtranslator
from meterai_desk.dialogs.check_dialog import CheckDialog
from meterai_desk.tasks import TaskRunner
from tests.support.desktop import WindowFactory
from tests.support.stamps import Received, received_files


@pytest.fixture(scope="module")
def received(tmp_path_factory: pytest.TempPathFactory) -> Received:
    return received_files(tmp_path_factory.mktemp("received"))


@pytest.fixture
def dialog(qtbot: QtBot, paths: Paths, received: Received) -> Iterator[CheckDialog]:
    tasks = TaskRunner(paths)
    profile = Profile("bank", "peruri", sign_ca_files=(str(received.ca),))
    shown = CheckDialog(tasks, paths, profile)
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitExposed(shown)
    yield shown
    tasks.shutdown()


def _checked(qtbot: QtBot, dialog: CheckDialog, path: Path) -> str:
    dialog.check_file(path)
    qtbot.waitUntil(lambda: dialog.report is not None or dialog.failure is not None, timeout=30000)
    return str(dialog.verdict.property("verdict"))


def _lines(dialog: CheckDialog) -> list[tuple[str, str]]:
    items = [dialog.checks.item(i) for i in range(dialog.checks.count())]
    return [(item.data(Qt.ItemDataRole.UserRole), item.text()) for item in items]


def _fact(dialog: CheckDialog, name: str) -> str:
    label = dialog.findChild(QLabel, f"fact_{name}")
    assert label is not None, name
    return label.text()


def test_a_stamped_file_is_valid_and_shows_serial_time_and_place(
    qtbot: QtBot, dialog: CheckDialog, received: Received
) -> None:
    i18n.set_language("en")  # the autouse fixture sets Indonesian back afterwards
    assert _checked(qtbot, dialog, received.stamped) == "valid"
    assert dialog.verdict.text() == f"A valid e-Meterai, serial number {received.sn}."
    assert _fact(dialog, "serial") == received.sn
    assert _fact(dialog, "where") == "page 2, bottom right"
    assert _fact(dialog, "signed_at").startswith("20")
    assert all(text.startswith("✓ ") for _name, text in _lines(dialog))
    assert "chains to the trusted stamping authority" in dict(_lines(dialog))["trusted"]


def test_a_revision_appended_is_not_valid_and_says_what_was_added(
    qtbot: QtBot, dialog: CheckDialog, received: Received
) -> None:
    i18n.set_language("en")
    assert _checked(qtbot, dialog, received.revised) == "not_valid"
    assert dialog.verdict.text() == "This e-Meterai is NOT valid."
    failed = {name: text for name, text in _lines(dialog) if text.startswith("✗ ")}
    assert failed == {
        "unchanged": "✗ Something was added after the stamp: content added to page 1."
    }
    assert _fact(dialog, "serial") == received.sn


def test_a_picture_of_a_stamp_says_plainly_there_is_no_e_meterai(
    qtbot: QtBot, dialog: CheckDialog, received: Received
) -> None:
    """Indonesian, the default language: the words a receiver reads first."""
    assert _checked(qtbot, dialog, received.picture) == "picture_only"
    assert dialog.verdict.text() == (
        "Tidak ada e-Meterai: berkas ini menampilkan gambar e-Meterai, tetapi tidak memuat "
        "tanda tangan e-Meterai."
    )
    assert [name for name, _text in _lines(dialog)] == ["emeterai", "picture"]
    assert received.sn in dict(_lines(dialog))["picture"]
    assert dialog.facts.rowCount() == 0


def test_an_unstamped_pdf_says_it_is_not_stamped(
    qtbot: QtBot, dialog: CheckDialog, received: Received
) -> None:
    i18n.set_language("en")
    assert _checked(qtbot, dialog, received.unstamped) == "unstamped"
    assert dialog.verdict.text() == "No e-Meterai: this file is not stamped."
    assert _lines(dialog) == [("emeterai", "✗ The file carries no e-Meterai signature.")]


def test_a_file_that_is_no_pdf_is_refused_in_words_and_the_next_check_works(
    qtbot: QtBot, dialog: CheckDialog, received: Received, tmp_path: Path
) -> None:
    i18n.set_language("en")
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"not a pdf")
    assert _checked(qtbot, dialog, junk) == "error"
    assert "could not be checked" in dialog.verdict.text()
    assert _checked(qtbot, dialog, received.stamped) == "valid"


def test_a_file_dropped_while_another_is_checked_shows_its_own_verdict(
    qtbot: QtBot, dialog: CheckDialog, received: Received
) -> None:
    """The stamp takes longer to check than a plain file: its report came last and was
    shown under the plain file's name."""
    dialog.check_file(received.stamped)
    dialog.check_file(received.unstamped)
    qtbot.waitUntil(lambda: not dialog.tasks.busy, timeout=30000)
    assert dialog.file == received.unstamped
    assert dialog.verdict.property("verdict") == "unstamped"
    assert dialog.choose.isEnabled()


def test_a_dropped_file_is_checked_and_a_language_switch_rewords_the_report(
    qtbot: QtBot, dialog: CheckDialog, received: Received
) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(received.unstamped))])
    drop = QDropEvent(
        QPointF(QPoint(10, 10)),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    dialog.dropEvent(drop)
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=30000)
    assert dialog.verdict.text() == "Tidak ada e-Meterai: berkas ini tidak bermeterai."
    qtranslator.install()  # as the application does: Qt hears of the switch
    i18n.set_language("en")
    qtbot.waitUntil(
        lambda: dialog.verdict.text() == "No e-Meterai: this file is not stamped.", timeout=5000
    )


def test_the_main_window_opens_the_checker_with_the_profiles_trust(
    qtbot: QtBot, paths: Paths, received: Received, open_window: WindowFactory, tmp_path: Path
) -> None:
    """The built-in profile trusts this data folder's sandbox CA: a stamp it made checks
    valid, the other sandbox's stamp (another authority) does not chain to it."""
    from tests.support.api_client import ApiClient
    from tests.support.pdfs import make_pdf

    with SandboxServer(paths.sandbox_dir) as server:
        api = ApiClient(server, timeout=60)
        api.login()
        _sn, data = api.full_stamp(make_pdf(tmp_path / "own.pdf"), page=1)
        api.close()
    own = tmp_path / "own-emeterai.pdf"
    own.write_bytes(data)
    window = open_window(paths)
    window.check_action.trigger()
    qtbot.waitUntil(lambda: window.findChild(CheckDialog) is not None, timeout=5000)
    found = window.findChild(CheckDialog)
    assert found is not None
    assert _checked(qtbot, found, own) == "valid"
    assert _checked(qtbot, found, received.stamped) == "not_valid"
    assert [name for name, text in _lines(found) if text.startswith("✗ ")] == ["trusted"]
    found.close()


def test_without_a_trust_root_the_dialog_says_where_to_set_one(
    qtbot: QtBot, paths: Paths, received: Received
) -> None:
    """The built-in profile before its sandbox ever started has no CA yet: the CLI's
    "give --ca FILE" means nothing in the app, so the app names its own setting."""
    i18n.set_language("en")
    tasks = TaskRunner(paths)
    shown = CheckDialog(tasks, paths, Profile("sandbox", "sandbox"))
    qtbot.addWidget(shown)
    try:
        assert _checked(qtbot, shown, received.stamped) == "error"
        assert shown.verdict.text() == (
            "No trusted authority is known for profile sandbox, so no stamp can be checked: "
            "set the provider's signing CA in Settings → Account."
        )
    finally:
        tasks.shutdown()

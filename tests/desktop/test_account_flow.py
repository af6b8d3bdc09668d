"""The first-start welcome, and an account saved in the app taking over the sync runner.

The last test is the whole story of issue 15 item 4 in the window: a document waits in
the outbox while the demo service runs; an account is saved without the provider's
signing CA and nothing is bought (the provider's ledger says so); with the CA the same
document is stamped from that account.
"""

from __future__ import annotations

import getpass
import io
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from meterai import i18n
from meterai.account import Provider, first_start
from meterai.credentials import CredentialsMissing
from meterai.intake import IntakeOptions, queue_file
from meterai.outbox import Outbox, State
from meterai.sandbox import SandboxServer
from meterai.settings import SERVICES, Paths, Profile, Settings, load_settings
from meterai.sync.events import Connectivity
from meterai_desk.main_window import MainWindow
from meterai_desk.sync_bridge import SyncBridge
from meterai_desk.tasks import TaskRunner
from tests.desktop.dialogs.test_account_dialog import fill
from tests.support.account import PASSWORD, USER, account_provider, alt_keyring
from tests.support.desktop import WindowFactory
from tests.support.keyring import no_keyring
from tests.support.pdfs import make_pdf

__all__ = ["account_provider", "alt_keyring", "no_keyring"]  # fixtures, used by name


def test_the_first_start_welcomes_and_connect_opens_the_account_dialog(
    qtbot: QtBot, paths: Paths, open_window: WindowFactory
) -> None:
    assert first_start(paths)
    window = open_window(paths)
    welcome = window.account.welcome()
    qtbot.waitExposed(welcome)
    assert welcome.demo.isDefault(), "the demo is the default answer"
    qtbot.mouseClick(welcome.account, Qt.MouseButton.LeftButton)
    dialog = window.account.dialog
    assert dialog is not None and dialog.isVisible() and not welcome.isVisible()
    assert dialog.chosen_provider() is Provider.PRODUCTION
    qtbot.waitUntil(lambda: not first_start(paths))  # the outbox now exists


def test_choosing_the_demo_keeps_the_embedded_sandbox_and_is_not_asked_again(
    qtbot: QtBot, paths: Paths, open_window: WindowFactory
) -> None:
    window = open_window(paths)
    welcome = window.account.welcome()
    qtbot.keyClick(welcome, Qt.Key.Key_Escape)
    assert window.account.dialog is None
    qtbot.waitUntil(paths.settings_file.exists)
    assert load_settings(paths).profile.embedded
    assert not first_start(paths)


def test_the_settings_menu_opens_the_account_dialog(
    qtbot: QtBot, paths: Paths, open_window: WindowFactory
) -> None:
    window = open_window(paths)
    i18n.set_language("en")
    assert window.account_action in window.settings_menu.actions()
    qtbot.waitUntil(lambda: window.account_action.text() == "&Account…")
    window.account_action.trigger()
    dialog = window.account.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.chosen_provider() is Provider.DEMO, "it opens on the active service"


def _ledger(provider: SandboxServer) -> dict[str, object]:
    with provider.admin_client(timeout=30) as admin:
        accounts = admin.get("/_sandbox/ledger").json()["accounts"]
    return next(a for a in accounts if a["user"] == USER)


def _save_account(qtbot: QtBot, window: MainWindow, provider: SandboxServer, sign: bool) -> None:
    dialog = window.account.edit()
    qtbot.waitUntil(lambda: dialog.keyring is not None)
    fill(dialog, provider, PASSWORD, sign=sign)
    with qtbot.waitSignal(window.account.changed, timeout=10000):
        qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)


@pytest.mark.slow
def test_a_saved_account_takes_over_the_sync_and_buys_nothing_without_a_signing_ca(
    qtbot: QtBot,
    paths: Paths,
    tmp_path: Path,
    open_window: WindowFactory,
    account_provider: SandboxServer,
    alt_keyring: Path,
) -> None:
    i18n.set_language("en")
    window = open_window(paths, sync=True)
    bridge = window.bridge
    assert bridge is not None
    qtbot.waitUntil(lambda: bridge.running, timeout=60000)  # the demo service first
    before = _ledger(account_provider)

    with qtbot.waitSignal(bridge.failed, timeout=30000) as refused:
        _save_account(qtbot, window, account_provider, sign=False)
    assert "no signature trust root" in str(refused.args[0])
    assert "no signature trust root" in window.status.connection.text()
    # Queued only now: the demo service's runner would have stamped it.
    box = Outbox.open(paths)
    pdf = make_pdf(tmp_path / "surat.pdf")
    queued = queue_file(box, paths, pdf, IntakeOptions(doc_type="3")).request
    qtbot.wait(1500)  # a runner, were one running, would have taken it by now
    after = _ledger(account_provider)
    assert (after["spent"], after["serials"]) == (before["spent"], before["serials"])
    assert box.get(queued.id).state == State.QUEUED

    with qtbot.waitSignal(bridge.started, timeout=30000):
        _save_account(qtbot, window, account_provider, sign=True)
    qtbot.waitUntil(lambda: box.get(queued.id).state == State.DONE, timeout=60000)
    charged = _ledger(account_provider)
    assert charged["spent"] == before["spent"] + 1
    assert [s["sn"] for s in charged["serials"]] == [box.get(queued.id).sn]
    box.close()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_missing_password_is_said_not_asked_for_on_a_terminal(
    qtbot: QtBot,
    paths: Paths,
    account_provider: SandboxServer,
    no_keyring: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Escaped bug: started from a terminal, the window's runner asked for the password
    there (getpass, on a worker nobody watches) and the window said "Connecting…"."""
    i18n.set_language("en")
    asked: list[str] = []
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": asked.append(prompt) or "x")
    monkeypatch.setattr(sys, "stdin", _Terminal())
    monkeypatch.delenv("METERAI_PASSWORD", raising=False)
    ca = str(account_provider.ca_file)
    settings = Settings(active_profile="real")
    settings.profiles["real"] = Profile(
        "real", "peruri", {s: account_provider.base_url for s in SERVICES}, ca, (ca,), USER
    )
    tasks = TaskRunner(paths)
    bridge = SyncBridge(paths, settings, tasks)
    heard: list[object] = []
    bridge.sync_event.connect(heard.append)
    bridge.failed.connect(heard.append)
    try:
        bridge.start()
        qtbot.waitUntil(lambda: any(_says_password_unknown(e) for e in heard), timeout=20000)
        assert asked == []
    finally:
        bridge.stop()
        tasks.shutdown()


def _says_password_unknown(event: object) -> bool:
    if isinstance(event, CredentialsMissing):
        return True
    return isinstance(event, Connectivity) and "No password is known" in str(event.detail)


def test_an_account_whose_password_is_unknown_opens_the_dialog_and_then_connects(
    qtbot: QtBot,
    paths: Paths,
    open_window: WindowFactory,
    account_provider: SandboxServer,
    no_keyring: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No keyring, so the password was kept for the last session only: at this start the
    account dialog opens by itself and says why; typed there, the sync connects."""
    monkeypatch.delenv("METERAI_PASSWORD", raising=False)
    i18n.set_language("en")
    ca = str(account_provider.ca_file)
    settings = Settings(active_profile="peruri")
    settings.profiles["peruri"] = Profile(
        "peruri", "peruri", {s: account_provider.base_url for s in SERVICES}, ca, (ca,), USER
    )
    window = open_window(paths, sync=True, settings=settings)
    qtbot.waitUntil(lambda: window.account.dialog is not None, timeout=20000)
    dialog = window.account.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.problem_label.text() == (
        "The password of pemungut is not known on this computer (it has no system keyring "
        "to keep it). Type it to connect."
    )
    assert (dialog.user.text(), dialog.sign_ca.text()) == (USER, ca)
    dialog.password.setText(PASSWORD)
    bridge = window.bridge
    assert bridge is not None
    with qtbot.waitSignal(bridge.started, timeout=30000):
        qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    shown = f"Balance: {_ledger(account_provider)['balance']} stamps"
    qtbot.waitUntil(lambda: shown in window.status.balance.text(), timeout=20000)


def _start_the_app_and_list_its_dialogs(paths: Paths) -> list[str]:
    """``meterai-desk`` itself (in this process): the dialogs visible once it is up.

    Not ``QApplication.quit()``: after it, pytest-qt's later waits never wake."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from meterai_desk import app

    seen: list[str] = []

    def look_and_quit() -> None:
        windows = QApplication.topLevelWidgets()
        seen.extend(w.objectName() for w in windows if w.isVisible() and w.objectName())
        for window in windows:
            if isinstance(window, MainWindow):  # the last window closed ends exec()
                window.quit_now()
                window.deleteLater()

    QTimer.singleShot(1500, look_and_quit)
    assert app.main(["--data-dir", str(paths.data_dir), "--no-sync", "--lang", "en"]) == 0
    return seen


def test_the_app_welcomes_on_its_first_start_only(qtbot: QtBot, paths: Paths) -> None:
    first = _start_the_app_and_list_its_dialogs(paths)
    assert "welcomeDialog" in first and "mainWindow" in first
    again = _start_the_app_and_list_its_dialogs(paths)
    assert "mainWindow" in again and "welcomeDialog" not in again

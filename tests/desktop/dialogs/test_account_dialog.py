"""Settings → Account (issue 15 item 4) against a real provider: the sandbox over HTTPS on
its own port, with an account of its own and its CA as the signature trust root.

The keyring is keyrings.alt's file backend (a test dependency only) writing to a folder of
its own, so "the password is in the keyring" is read back from that backend by a fresh
instance, and "in no file under the data or config folders" is a search of the disk.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from meterai import i18n
from meterai.account import PasswordKept, Provider
from meterai.credentials import credentials_for
from meterai.intake import IntakeOptions, queue_file
from meterai.outbox import Outbox, State
from meterai.sandbox import SandboxServer
from meterai.settings import SERVICES, Paths, Settings, load_settings
from meterai_desk import qtranslator
from meterai_desk.dialogs.account_dialog import AccountDialog, SwitchQuestion
from meterai_desk.tasks import TaskRunner
from tests.support.account import (
    PASSWORD,
    USER,
    account_provider,
    alt_keyring,
    file_keyring,
    files_holding,
)
from tests.support.keyring import no_keyring
from tests.support.pdfs import make_pdf

__all__ = ["account_provider", "alt_keyring", "no_keyring"]  # fixtures, used by name


@pytest.fixture
def split_paths(tmp_path: Path) -> Paths:
    """Data and config in different folders, as platformdirs gives them on a desktop."""
    return Paths(data_dir=tmp_path / "data", config_dir=tmp_path / "config")


@pytest.fixture
def tasks(split_paths: Paths) -> Iterator[TaskRunner]:
    runner = TaskRunner(split_paths)
    yield runner
    runner.shutdown()


def open_dialog(qtbot: QtBot, paths: Paths, tasks: TaskRunner) -> AccountDialog:
    i18n.set_language("en")
    qtranslator.install()
    dialog = AccountDialog(paths, Settings(), tasks, None, Provider.PRODUCTION)
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitUntil(lambda: dialog.keyring is not None)
    return dialog


def fill(dialog: AccountDialog, server: SandboxServer, password: str, *, sign: bool) -> None:
    dialog.provider.setCurrentIndex(dialog.provider.findData(Provider.CUSTOM))
    for service in SERVICES:
        dialog.urls[service].setText(server.base_url)
    dialog.user.setText(USER)
    dialog.password.setText(password)
    dialog.tls_ca.setText(str(server.ca_file))
    dialog.sign_ca.setText(str(server.ca_file) if sign else "")


def press_test(qtbot: QtBot, dialog: AccountDialog) -> str:
    qtbot.mouseClick(dialog.test, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.report is not None and dialog.test.isEnabled(), timeout=20000)
    return dialog.results.text()


def test_test_connection_shows_the_balance_and_the_password_goes_to_the_keyring(
    qtbot: QtBot,
    account_provider: SandboxServer,
    split_paths: Paths,
    tasks: TaskRunner,
    alt_keyring: Path,
) -> None:
    dialog = open_dialog(qtbot, split_paths, tasks)
    assert dialog.password_note.text() == "The password will be saved in the system keyring."
    fill(dialog, account_provider, "salah", sign=True)

    refused = press_test(qtbot, dialog)
    assert "✗ Login: The stamping service refused the user name or password." in refused
    assert "cannot be reached" not in refused and "Balance" not in refused

    dialog.password.setText(PASSWORD)
    shown = press_test(qtbot, dialog)
    assert "✓ Balance: 7 stamps, 0 bought and not yet used" in shown
    assert "✓ Signature trust: " + str(account_provider.ca_file) in shown
    assert "4a Surat Pernyataan" in shown
    assert dialog.report is not None and dialog.report.ok

    with qtbot.waitSignal(dialog.saved, timeout=10000) as saved:
        qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    settings, kept = saved.args
    assert kept is PasswordKept.KEYRING and settings.active_profile == "peruri"
    # Read back by a new backend from its own file: the password is really in the keyring.
    assert file_keyring(alt_keyring).get_password("meterai-desk:peruri", USER) == PASSWORD
    assert files_holding([split_paths.data_dir, split_paths.config_dir], PASSWORD) == []
    stored = load_settings(split_paths).profile
    assert (stored.user, stored.base_urls["stampv2"]) == (USER, account_provider.base_url)
    assert stored.sign_ca_files == (str(account_provider.ca_file),) == (stored.tls_ca_file,)


def test_without_a_keyring_the_password_is_kept_for_the_session_only(
    qtbot: QtBot,
    account_provider: SandboxServer,
    split_paths: Paths,
    tasks: TaskRunner,
    no_keyring: None,
) -> None:
    dialog = open_dialog(qtbot, split_paths, tasks)
    assert "There is no system keyring on this computer" in dialog.password_note.text()
    fill(dialog, account_provider, PASSWORD, sign=True)
    with qtbot.waitSignal(dialog.saved, timeout=10000) as saved:
        qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    settings, kept = saved.args
    assert kept is PasswordKept.SESSION
    assert credentials_for(settings.profile, environ={}, interactive=False)() == (USER, PASSWORD)
    assert files_holding([split_paths.data_dir, split_paths.config_dir], PASSWORD) == []


def test_a_profile_without_a_signing_ca_is_not_ready(
    qtbot: QtBot,
    account_provider: SandboxServer,
    split_paths: Paths,
    tasks: TaskRunner,
    alt_keyring: Path,
) -> None:
    dialog = open_dialog(qtbot, split_paths, tasks)
    fill(dialog, account_provider, PASSWORD, sign=False)
    shown = press_test(qtbot, dialog)
    assert "✗ Signature trust: Profile peruri has no signature trust root" in shown
    assert "✓ Login: logged in as" in shown, "the other checks still run"
    assert "Not ready: nothing will be bought" in shown


def test_missing_answers_are_named_before_anything_is_tried(
    qtbot: QtBot, split_paths: Paths, tasks: TaskRunner, alt_keyring: Path
) -> None:
    dialog = open_dialog(qtbot, split_paths, tasks)
    dialog.provider.setCurrentIndex(dialog.provider.findData(Provider.CUSTOM))
    dialog.urls["stampv2"].setText("http://stampv2.example")
    qtbot.mouseClick(dialog.test, Qt.MouseButton.LeftButton)
    assert dialog.report is None and dialog.isVisible()
    assert {p.field for p in dialog.problems} == {"user", *SERVICES}
    assert "Enter the account's user name." in dialog.problem_label.text()
    assert "Enter the address of stampv2, starting with https://." in (dialog.problem_label.text())
    assert "border" in dialog.user.styleSheet()

    i18n.set_language("id")
    qtbot.waitUntil(lambda: "Isi nama pengguna akun." in dialog.problem_label.text())
    assert dialog.test.text() == "Uji koneksi"


def test_the_presets_show_their_addresses_read_only(
    qtbot: QtBot, split_paths: Paths, tasks: TaskRunner, alt_keyring: Path
) -> None:
    dialog = open_dialog(qtbot, split_paths, tasks)
    assert dialog.urls["stampv2"].text() == "https://stampv2.e-meterai.co.id"
    assert dialog.urls["stampv2"].isReadOnly()
    dialog.provider.setCurrentIndex(dialog.provider.findData(Provider.STAGING))
    assert dialog.urls["stampv2"].text() == "https://stampv2stg.e-meterai.co.id"
    dialog.provider.setCurrentIndex(dialog.provider.findData(Provider.DEMO))
    assert not dialog.user.isEnabled() and not dialog.password_note.isVisible()


def _part_way(paths: Paths, tmp_path: Path) -> None:
    """One request uploaded to the current service (the demo): only it can finish it."""
    box = Outbox.open(paths)
    row = queue_file(box, paths, make_pdf(tmp_path / "surat.pdf"), IntakeOptions(doc_type="3"))
    box.transition(row.request.id, State.UPLOADED, provider_file_id="f-demo")
    box.close()


@pytest.mark.parametrize("switch", [False, True])
def test_switching_away_from_requests_part_way_is_asked_first(
    qtbot: QtBot,
    account_provider: SandboxServer,
    split_paths: Paths,
    tasks: TaskRunner,
    alt_keyring: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    switch: bool,
) -> None:
    _part_way(split_paths, tmp_path)
    asked: list[int] = []
    monkeypatch.setattr(SwitchQuestion, "ask", lambda _p, held: asked.append(held) or switch)
    dialog = open_dialog(qtbot, split_paths, tasks)
    fill(dialog, account_provider, PASSWORD, sign=True)
    saved: list[object] = []
    dialog.saved.connect(lambda settings, _kept: saved.append(settings))
    qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(asked))
    assert asked == [1]
    if switch:
        qtbot.waitUntil(lambda: bool(saved))
        assert load_settings(split_paths).active_profile == "peruri"
    else:
        qtbot.waitUntil(dialog.save.isEnabled)
        assert saved == [] and dialog.isVisible()
        assert not split_paths.settings_file.exists(), "nothing was saved"


def test_no_question_when_nothing_is_part_way(
    qtbot: QtBot,
    account_provider: SandboxServer,
    split_paths: Paths,
    tasks: TaskRunner,
    alt_keyring: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(SwitchQuestion, "ask", lambda *_a: pytest.fail("asked for nothing"))
    dialog = open_dialog(qtbot, split_paths, tasks)
    fill(dialog, account_provider, PASSWORD, sign=True)
    with qtbot.waitSignal(dialog.saved, timeout=10000):
        qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)

"""Settings → Account: whom to stamp with, the user name, the password, the two trusts.

Everything that touches the disk, the keyring or the network runs on a worker through
``meterai.account`` (the same checks as ``meterai profile test``): whether a keyring
exists and already holds the password, *Test connection*, and saving. The password
goes to the OS keyring; where there is none the dialog says so before anything is
saved, and the password is kept in memory for this session only. TLS trust (the
system's roots plus an optional CA file) and signature trust (the provider's signing
CA) are separate fields, as they are separate settings of a profile.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from meterai.account import (
    PRESET_URLS,
    AccountChoice,
    AccountReport,
    PasswordKept,
    Problem,
    Provider,
    check_account,
    choice_problems,
    editable_profile,
    held_by_the_provider,
    profile_from,
    provider_of,
    save_account,
    switches_provider,
)
from meterai.i18n import N_, _, ngettext
from meterai.messages import Message
from meterai.settings import SERVICES, Paths, Settings
from meterai_desk.dialogs.files import path_row
from meterai_desk.errors import error_text
from meterai_desk.qtranslator import follow_language
from meterai_desk.tasks import TaskRunner
from meterai_desk.widgets.database_box import DatabaseBox

_INVALID = "border: 1px solid #b00020;"
PROVIDER_NAMES = {
    Provider.DEMO: N_("Demo service (built in, nothing is bought)"),
    Provider.PRODUCTION: N_("Peruri e-Meterai (production)"),
    Provider.STAGING: N_("Peruri e-Meterai (staging, for testing an account)"),
    Provider.CUSTOM: N_("Other addresses (one per service)"),
}
SEPARATOR = ";"
"""Between signing CA files in one field (a profile may trust several)."""


class CaFileDialog:
    """The certificate file chooser, behind a classmethod so tests can answer it."""

    @classmethod
    def ask(cls, parent: QWidget | None, title: str, start: str) -> str | None:
        name, _filter = QFileDialog.getOpenFileName(
            parent, title, start, _("Certificates (*.pem *.crt *.cer *.der);;All files (*)")
        )
        return name or None


class SwitchQuestion:
    """Asked before a switch would strand requests; behind a classmethod so tests answer."""

    @classmethod
    def ask(cls, parent: QWidget | None, held: int) -> bool:
        """Modal; the default and Escape keep the current service."""
        box = QMessageBox(parent)
        box.setObjectName("switchProviderQuestion")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(_("Account"))
        box.setText(
            ngettext(
                "{count} document is part-way through with the current service (sent to it "
                "or numbered by it). Only that service can finish it: after the switch it "
                "stops with an error until you switch back.",
                "{count} documents are part-way through with the current service (sent to "
                "it or numbered by it). Only that service can finish them: after the switch "
                "they stop with an error until you switch back.",
                held,
            ).format(count=held)
        )
        switch = box.addButton(_("Switch anyway"), QMessageBox.ButtonRole.AcceptRole)
        keep = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.exec()
        return box.clickedButton() is switch


def try_account(paths: Paths, choice: AccountChoice, password: str) -> AccountReport:
    """On a worker: the typed password, or else the one the keyring (or session) holds."""
    from meterai.credentials import credentials_for

    profile = profile_from(choice)
    if password:
        user = profile.user or ""
        return check_account(paths, profile, lambda: (user, password))
    return check_account(paths, profile, credentials_for(profile, interactive=False))


def keyring_facts(settings: Settings) -> tuple[bool, bool]:
    """On a worker (a keyring may talk to a daemon): is there one, and does it (or this
    session) already hold the password of the account being edited?"""
    from meterai.credentials import has_password, keyring_usable

    return keyring_usable(), has_password(editable_profile(settings))


class AccountDialog(QDialog):
    saved = Signal(object, object)  # the saved Settings (a copy) and a PasswordKept

    def __init__(
        self,
        paths: Paths,
        settings: Settings,
        tasks: TaskRunner,
        parent: QWidget | None = None,
        provider: Provider | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("accountDialog")
        self._paths, self._settings, self._tasks = paths, settings, tasks
        self._edited = editable_profile(settings)
        custom = provider_of(self._edited) is Provider.CUSTOM
        self._custom = dict(self._edited.base_urls) if custom else {}
        self.report: AccountReport | None = None
        self.problems: tuple[Problem, ...] = ()
        self.keyring: bool | None = None
        self.stored = False
        self.kept: PasswordKept | None = None
        self.reason: Message | None = None
        self._status = ""
        self._build()
        self._fill(provider or provider_of(settings.profile))
        follow_language(self, self.retranslate)
        self._tasks.run(lambda: keyring_facts(settings), self._keyring_known, owner=self)

    # --- building ------------------------------------------------------------------

    def _build(self) -> None:
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.provider = QComboBox(self)
        self.provider.setObjectName("provider")
        for choice in Provider:
            self.provider.addItem("", choice)
        self.urls = {service: QLineEdit(self) for service in SERVICES}
        for service, edit in self.urls.items():
            edit.setObjectName(f"url_{service}")
        self.user = QLineEdit(self)
        self.user.setObjectName("accountUser")
        self.password = QLineEdit(self)
        self.password.setObjectName("accountPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_note = _note(self, "passwordNote")
        self.tls_ca, self.choose_tls = QLineEdit(self), QPushButton(self)
        self.tls_ca.setObjectName("tlsCaFile")
        self.sign_ca, self.choose_sign = QLineEdit(self), QPushButton(self)
        self.sign_ca.setObjectName("signCaFile")
        self.trust_note = _note(self, "trustNote")
        self.test = QPushButton(self)
        self.test.setObjectName("testConnection")
        self.results = _note(self, "testResults")
        self.problem_label = _note(self, "accountProblems")
        self.problem_label.setStyleSheet("#accountProblems { color: #b00020; }")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.save = self.buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save.setObjectName("saveAccount")
        self.save.setDefault(True)
        self.database = DatabaseBox(self._paths, self._settings, self._tasks, self)
        self._lay_out()
        self._connect()

    def _lay_out(self) -> None:
        self.form = QFormLayout()
        self.form.addRow(QLabel(self), self.provider)
        for edit in self.urls.values():
            self.form.addRow(QLabel(self), edit)
        self.form.addRow(QLabel(self), self.user)
        self.form.addRow(QLabel(self), self.password)
        self.form.addRow(QLabel(self), path_row(self, self.tls_ca, self.choose_tls))
        self.form.addRow(QLabel(self), path_row(self, self.sign_ca, self.choose_sign))
        layout = QVBoxLayout(self)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        # Below the form, not in it: a wrapped label in a form row gets clipped.
        for widget in (self.password_note, self.trust_note, self.problem_label):
            layout.addWidget(widget)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test)
        test_row.addStretch(1)
        layout.addLayout(test_row)
        layout.addWidget(self.results)
        layout.addWidget(self.database)
        layout.addWidget(self.buttons)
        self.resize(720, 0)

    def _connect(self) -> None:
        self.provider.currentIndexChanged.connect(lambda _i: self._show_provider())
        self.choose_tls.clicked.connect(lambda: self._browse(self.tls_ca))
        self.choose_sign.clicked.connect(lambda: self._browse(self.sign_ca))
        self.test.clicked.connect(self.run_test)
        self.save.clicked.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

    def _fill(self, provider: Provider) -> None:
        profile = self._edited
        self.user.setText(profile.user or "")
        self.tls_ca.setText(profile.tls_ca_file or "")
        self.sign_ca.setText(f"{SEPARATOR} ".join(profile.sign_ca_files))
        self.provider.setCurrentIndex(self.provider.findData(provider))
        self._show_provider()

    # --- the provider and its fields -----------------------------------------------

    def chosen_provider(self) -> Provider:
        return Provider(self.provider.currentData())

    def _show_provider(self) -> None:
        provider = self.chosen_provider()
        preset = PRESET_URLS.get(provider)
        for service, edit in self.urls.items():
            if preset is not None:
                edit.setText(preset[service])
            elif provider is Provider.CUSTOM:
                edit.setText(self._custom.get(service, ""))
            else:
                edit.clear()
            edit.setReadOnly(provider is not Provider.CUSTOM)
            self._set_row_visible(edit, provider is not Provider.DEMO)
        account = provider is not Provider.DEMO
        for widget in (self.user, self.password, self.tls_ca, self.sign_ca):
            widget.setEnabled(account)
        self.choose_tls.setEnabled(account)
        self.choose_sign.setEnabled(account)
        self.results.clear()
        self.report = None
        self._show_notes()

    def _set_row_visible(self, field: QWidget, visible: bool) -> None:
        self.form.setRowVisible(field, visible)

    def _remember_custom(self) -> None:
        if self.chosen_provider() is Provider.CUSTOM:
            self._custom = {s: e.text() for s, e in self.urls.items()}

    def choice(self) -> AccountChoice:
        self._remember_custom()
        kind = self._edited.kind if self.chosen_provider() is Provider.CUSTOM else "peruri"
        return AccountChoice(
            provider=self.chosen_provider(),
            profile_name=self._edited.name,
            kind=kind,
            user=self.user.text(),
            custom_urls={s: e.text() for s, e in self.urls.items()},
            tls_ca_file=self.tls_ca.text(),
            sign_ca_files=tuple(self.sign_ca.text().split(SEPARATOR)),
        )

    def _browse(self, field: QLineEdit) -> None:
        chosen = CaFileDialog.ask(self, _("Choose a CA certificate file"), field.text())
        if chosen:
            field.setText(chosen)

    # --- the keyring ---------------------------------------------------------------

    def _keyring_known(self, facts: tuple[bool, bool]) -> None:
        self.keyring, self.stored = facts
        self._show_notes()

    # --- test and save, on workers -------------------------------------------------

    def _checked(self) -> AccountChoice | None:
        choice = self.choice()
        self.problems = choice_problems(choice)
        self._show_problems()
        return None if self.problems else choice

    def run_test(self) -> None:
        choice = self._checked()
        if choice is None:
            return
        if choice.provider is Provider.DEMO:
            self._status = N_("The demo service needs no account: it is built into the app.")
            self._show_status()
            return
        paths, password = self._paths, self.password.text()
        self.test.setEnabled(False)
        self._status = N_("Testing the connection…")
        self._show_status()
        self._tasks.run(
            lambda: try_account(paths, choice, password),
            self._tested,
            self._test_failed,
            owner=self,
        )

    def _tested(self, report: AccountReport) -> None:
        self.test.setEnabled(True)
        self.report = report
        self._show_report()

    def _test_failed(self, exc: BaseException) -> None:
        self.test.setEnabled(True)
        self.report = None
        self._status = ""
        self.results.setText(error_text(exc, str(self._paths.logs_dir)))

    def submit(self) -> None:
        """Save on a worker (keyring and settings file); the dialog closes once saved.

        Switching to another provider while requests are part-way through with the
        current one is asked about first: only that provider can finish them."""
        choice = self._checked()
        if choice is None:
            return
        self.save.setEnabled(False)
        if not switches_provider(self._settings.profile, profile_from(choice)):
            self._save(choice)
            return
        self._tasks.db(
            held_by_the_provider,
            lambda held: self._confirm_switch(held, choice),
            self._save_failed,
            owner=self,
        )

    def _confirm_switch(self, held: int, choice: AccountChoice) -> None:
        if held and not SwitchQuestion.ask(self, held):
            self.save.setEnabled(True)
            return
        self._save(choice)

    def _save(self, choice: AccountChoice) -> None:
        paths, password = self._paths, self.password.text()
        copy = replace(
            self._settings, profiles=dict(self._settings.profiles), extra=dict(self._settings.extra)
        )
        self._tasks.run(
            lambda: (copy, save_account(paths, copy, profile_from(choice), password)),
            self._saved,
            self._save_failed,
            owner=self,
        )

    def _saved(self, result: tuple[Settings, PasswordKept]) -> None:
        copy, self.kept = result
        self.save.setEnabled(True)
        self.saved.emit(copy, self.kept)
        self.accept()

    def _save_failed(self, exc: BaseException) -> None:
        self.save.setEnabled(True)
        self.problem_label.setText(error_text(exc, str(self._paths.logs_dir)))

    # --- words ---------------------------------------------------------------------

    def retranslate(self) -> None:
        self.setWindowTitle(_("Account"))
        self.intro.setText(
            _(
                "Choose whom Meterai Desk stamps with. An account is the user name and "
                "password your distributor gave you; the password is kept in the system's "
                "keyring, never in a file."
            )
        )
        for index in range(self.provider.count()):
            self.provider.setItemText(index, _(PROVIDER_NAMES[self.provider.itemData(index)]))
        labels = [_("Service:"), *(f"{service}:" for service in SERVICES)]
        labels += [_("User name:"), _("Password:"), _("TLS trust:"), _("Signature trust:")]
        for row, text in enumerate(labels):
            item = self.form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            label = item.widget() if item is not None else None
            if isinstance(label, QLabel):
                label.setText(text)
        self.tls_ca.setPlaceholderText(_("the system's roots only (optional: an extra CA file)"))
        self.sign_ca.setPlaceholderText(_("the provider's signing CA file (required to buy)"))
        for button in (self.choose_tls, self.choose_sign):
            button.setText(_("Choose…"))
        self.test.setText(_("Test connection"))
        self.save.setText(_("Save"))
        self._show_notes()
        self._show_problems()
        self._show_report()

    def _show_notes(self) -> None:
        self.password_note.setText(_password_note(self.keyring, self.stored))
        self.password.setPlaceholderText(_("saved: leave empty to keep it") if self.stored else "")
        self.trust_note.setText(
            _(
                "TLS trust decides which servers the app talks to: the system's roots, plus "
                "the CA file when one is set. Signature trust is the provider's signing CA: "
                "every stamp must chain to it, and nothing is bought without it."
            )
        )
        demo = self.chosen_provider() is Provider.DEMO
        for note in (self.password_note, self.trust_note):
            note.setVisible(not demo)

    def _show_problems(self) -> None:
        fields: dict[str, QWidget] = {"user": self.user, **self.urls}
        wrong = {p.field for p in self.problems}
        for name, widget in fields.items():
            widget.setStyleSheet(_INVALID if name in wrong else "")
        lines = [f"• {p.message.text()}" for p in self.problems]
        if self.reason is not None and not lines:
            lines = [self.reason.text()]
        self.problem_label.setText("\n".join(lines))

    def show_reason(self, reason: Message) -> None:
        """Why the dialog opened by itself (a password this computer does not know)."""
        self.reason = reason
        self._show_problems()
        self.password.setFocus()

    def _show_status(self) -> None:
        self.results.setText(_(self._status) if self._status else "")

    def _show_report(self) -> None:
        if self.report is None:
            self._show_status()
            return
        lines = [_report_line(c.ok, _(c.name), c.detail) for c in self.report.checks]
        verdict = (
            _("Everything is in place: documents can be stamped with this account.")
            if self.report.ok
            else _("Not ready: nothing will be bought until every line above is ✓.")
        )
        self.results.setText("\n".join([*lines, "", verdict]))


def _password_note(keyring: bool | None, stored: bool) -> str:
    if keyring is None:
        return ""
    if not keyring:
        return _(
            "There is no system keyring on this computer, so the password cannot be saved: "
            "it is kept for this session only. After the next start, type it here again."
        )
    if stored:
        return _("The password is saved in the system keyring.")
    return _("The password will be saved in the system keyring.")


def _report_line(ok: bool, name: str, detail: str) -> str:
    mark = "✓" if ok else "✗"
    return f"{mark} {name[:1].upper()}{name[1:]}: {detail}"


def _note(parent: QWidget, name: str) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    return label

"""The account, from the window's side: the first-start welcome and Settings → Account.

A saved account replaces the active profile in the window's one ``Settings`` (the
bridge, the presenter and kiosk mode all read that object) and the sync runner is
started again for it, so the next stamp goes to the account just chosen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMainWindow

from meterai.i18n import N_, _
from meterai.messages import Message
from meterai.settings import Paths, Profile, Settings, save_settings
from meterai_desk.sync_bridge import SyncBridge
from meterai_desk.tasks import TaskRunner

if TYPE_CHECKING:
    # Imported when first shown: the window need not wait for dialogs it may never open.
    from meterai.account import PasswordKept, Provider
    from meterai_desk.dialogs.account_dialog import AccountDialog
    from meterai_desk.dialogs.welcome_dialog import WelcomeChoice, WelcomeDialog

SESSION_NOTE_MS = 15_000
PASSWORD_UNKNOWN = N_(
    "The password of {user} is not known on this computer (it has no system keyring to keep "
    "it). Type it to connect."
)


def _password_known(profile: Profile) -> bool:
    """On a worker: keyring and httpx come with ``meterai.credentials``."""
    from meterai.credentials import password_known

    return password_known(profile)


class AccountFlow(QObject):
    changed = Signal()  # the active profile changed and was saved

    def __init__(
        self,
        paths: Paths,
        settings: Settings,
        tasks: TaskRunner,
        bridge: SyncBridge | None,
        window: QMainWindow,
    ) -> None:
        super().__init__(window)
        self._paths, self._settings, self._tasks = paths, settings, tasks
        self._bridge, self._window = bridge, window
        self.welcome_dialog: WelcomeDialog | None = None
        self.dialog: AccountDialog | None = None
        self._ask_for_a_missing_password()

    def _ask_for_a_missing_password(self) -> None:
        """An account whose password this computer does not know (with no keyring it was
        kept for the last session only) opens the account dialog, instead of the sync
        failing with advice about environment variables."""
        profile = self._settings.profile
        if self._bridge is None or profile.embedded:
            return
        self._tasks.run(lambda: _password_known(profile), self._password_checked, owner=self)

    def _password_checked(self, known: bool) -> None:
        if known:
            return
        user = self._settings.profile.user or "?"
        self.edit().show_reason(Message(PASSWORD_UNKNOWN, {"user": user}))

    def welcome(self) -> WelcomeDialog:
        """The first start's question, window-modal; the demo is the default answer."""
        from meterai_desk.dialogs.welcome_dialog import WelcomeDialog

        dialog = self.welcome_dialog = WelcomeDialog(self._window)
        dialog.chosen.connect(self._welcomed)
        dialog.open()
        return dialog

    def _welcomed(self, choice: WelcomeChoice) -> None:
        from meterai.account import Provider
        from meterai_desk.dialogs.welcome_dialog import WelcomeChoice

        if choice is WelcomeChoice.ACCOUNT:
            self.edit(Provider.PRODUCTION)
            return
        # The demo is already the default profile: written down, the question is not
        # asked again even if this data folder's outbox is later removed.
        paths, settings = self._paths, self._settings
        self._tasks.run(lambda: save_settings(paths, settings))

    def edit(self, provider: Provider | None = None) -> AccountDialog:
        """Settings → Account (one dialog at a time: a second call raises the first)."""
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.raise_()
            self.dialog.activateWindow()
            return self.dialog
        from meterai_desk.dialogs.account_dialog import AccountDialog

        dialog = AccountDialog(self._paths, self._settings, self._tasks, self._window, provider)
        dialog.saved.connect(self._saved)
        dialog.open()
        self.dialog = dialog
        return dialog

    def _saved(self, saved: Settings, kept: PasswordKept) -> None:
        from meterai.account import PasswordKept

        self._settings.profiles = saved.profiles
        self._settings.active_profile = saved.active_profile
        if kept is PasswordKept.SESSION:
            self._window.statusBar().showMessage(
                _("No system keyring: the password is kept until Meterai Desk closes."),
                SESSION_NOTE_MS,
            )
        if self._bridge is not None:
            self._bridge.reconnect()
        self.changed.emit()

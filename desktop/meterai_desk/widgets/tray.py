"""The tray icon: where the app lives while it keeps syncing with the window closed.

Desktops without a tray (and the offscreen test platform) still get every
notification, in the status bar, so nothing depends on a tray being there. The icon
itself comes after the window's first paint (``show_icon``): it is not in the window,
and registering it with the desktop (D-Bus on Linux) need not hold the window up.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QStatusBar, QSystemTrayIcon

from meterai.i18n import _
from meterai_desk.icons import app_icon

NOTICE_MS = 8000


class Tray(QObject):
    def __init__(
        self,
        status_bar: QStatusBar,
        show: Callable[[], None],
        quit_: Callable[[], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._status_bar = status_bar
        self.notices: list[tuple[str, str]] = []
        self.icon: QSystemTrayIcon | None = None
        self._show = QAction(self)
        self._quit = QAction(self)
        self._show.triggered.connect(show)
        self._quit.triggered.connect(quit_)
        self.retranslate()

    def show_icon(self) -> None:
        """Put the icon in the desktop's tray, if it has one (once)."""
        if self.icon is not None or not QSystemTrayIcon.isSystemTrayAvailable():
            return
        self.icon = QSystemTrayIcon(app_icon(), self)
        menu = QMenu()
        menu.addAction(self._show)
        menu.addAction(self._quit)
        self._menu = menu
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(lambda _reason: self._show.trigger())
        self.icon.show()
        self.retranslate()

    @property
    def available(self) -> bool:
        return self.icon is not None

    def notify(self, title: str, text: str, warning: bool = False) -> None:
        self.notices.append((title, text))
        if self.icon is not None and QSystemTrayIcon.supportsMessages():
            kind = (
                QSystemTrayIcon.MessageIcon.Warning
                if warning
                else QSystemTrayIcon.MessageIcon.Information
            )
            self.icon.showMessage(title, text, kind, NOTICE_MS)
        self._status_bar.showMessage(f"{title}: {text}", NOTICE_MS)

    def retranslate(self) -> None:
        self._show.setText(_("Show Meterai Desk"))
        self._quit.setText(_("Quit"))
        if self.icon is not None:
            self.icon.setToolTip(_("Meterai Desk"))

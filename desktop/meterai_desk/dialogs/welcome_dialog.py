"""The first start: what the app does, and a choice between the demo service and an account.

The demo is the default (Enter, Escape or closing the window all pick it): a first
look should cost nothing and need no account. "Connect my account" opens the
account dialog on Peruri's production service.
"""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCommandLinkButton,
    QDialog,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from meterai.i18n import _
from meterai_desk.icons import app_icon
from meterai_desk.qtranslator import follow_language

WIDTH = 560


class WelcomeChoice(StrEnum):
    DEMO = "demo"
    ACCOUNT = "account"


class WelcomeDialog(QDialog):
    chosen = Signal(object)  # a WelcomeChoice, once

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomeDialog")
        self.setWindowIcon(app_icon())
        self.choice: WelcomeChoice | None = None
        self.heading = QLabel(self)
        self.heading.setObjectName("welcomeHeading")
        self.heading.setStyleSheet("#welcomeHeading { font-size: 15pt; font-weight: 600; }")
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.demo = QCommandLinkButton(self)
        self.demo.setObjectName("tryDemo")
        self.demo.setDefault(True)
        self.account = QCommandLinkButton(self)
        self.account.setObjectName("connectAccount")
        layout = self._layout = QVBoxLayout(self)
        layout.setSpacing(10)
        for widget in (self.heading, self.intro, self.demo, self.account):
            layout.addWidget(widget)
        self.demo.clicked.connect(lambda: self._choose(WelcomeChoice.DEMO))
        self.account.clicked.connect(lambda: self._choose(WelcomeChoice.ACCOUNT))
        self.rejected.connect(lambda: self._choose(WelcomeChoice.DEMO, close=False))
        self.resize(WIDTH, 0)
        follow_language(self, self.retranslate)

    def _choose(self, choice: WelcomeChoice, *, close: bool = True) -> None:
        if self.choice is not None:
            return
        self.choice = choice
        self.chosen.emit(choice)
        if close:
            self.accept()

    def retranslate(self) -> None:
        self.setWindowTitle(_("Welcome to Meterai Desk"))
        self.heading.setText(_("Welcome to Meterai Desk"))
        self.intro.setText(
            _(
                "Meterai Desk puts an e-Meterai stamp on your PDF documents. Add a document, "
                "place the stamp on the page and describe it; the app keeps it in its outbox "
                "and sends it when the connection allows, so a weak link loses nothing. The "
                "stamped file is checked before you get it."
            )
        )
        self.demo.setText(_("Try it with the demo service"))
        self.demo.setDescription(
            _(
                "A test service built into the app stamps practice documents: nothing is "
                "bought and no account is needed. You can connect your account later in "
                "Settings → Account."
            )
        )
        self.account.setText(_("Connect my account"))
        self.account.setDescription(
            _("Use the e-Meterai account (user name and password) your distributor gave you.")
        )
        self._fit()

    def _fit(self) -> None:
        """As tall as the words need at this width: a layout's minimum size ignores the
        height a wrapped label needs, and Indonesian runs longer than English."""
        self.setMinimumHeight(self._layout.heightForWidth(max(self.width(), WIDTH)))

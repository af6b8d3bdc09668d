"""The status bar: is the service reachable, why are things waiting, what is left, what is done.

A person racing a deadline glances here rather than at the table, so it answers in
one line: online or offline (and why), the saldo, and today's count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from meterai.i18n import _, current_language, format_number
from meterai_desk.ops import Tally
from meterai_desk.qtranslator import follow_language

if TYPE_CHECKING:
    from meterai.balance import LowBalance

_LOW = "#9a4a00"
_DOT = {"online": "#1b7f3b", "offline": "#b00020", "starting": "#8a8a8a", "waiting": "#b07a00"}


class StatusPanel(QWidget):
    """Not a widget on screen itself: it owns the labels it puts into a status bar."""

    def __init__(self, bar: QStatusBar) -> None:
        super().__init__(bar)
        self.hide()
        self.connection = QLabel(bar)
        self.connection.setObjectName("connection")
        self.queue = QLabel(bar)
        self.queue.setObjectName("queueSummary")
        self.balance = QLabel(bar)
        self.balance.setObjectName("balance")
        self.today = QLabel(bar)
        self.today.setObjectName("today")
        bar.addWidget(self.connection)
        bar.addWidget(self.queue, 1)
        bar.addPermanentWidget(self.balance)
        bar.addPermanentWidget(self.today)
        self._state = "starting"
        self._detail = ""
        self._waiting_reason = ""
        self._tally = Tally(0, 0, 0)
        self._balance: int | None = None
        self._warning: LowBalance | None = None
        follow_language(self, self.retranslate)

    def set_connection(self, state: str, detail: str = "") -> None:
        """``detail`` may be a message id: it is translated each time it is shown."""
        self._state, self._detail = state, detail
        self._show_connection()

    def set_waiting_reason(self, reason: str) -> None:
        self._waiting_reason = reason
        self._show_queue()

    def set_tally(self, tally: Tally) -> None:
        self._tally = tally
        if not tally.pending:
            self._waiting_reason = ""
        self._show_queue()
        self._show_today()

    def set_balance(self, balance: int | None) -> None:
        self._balance = balance
        self._show_balance()

    def set_low_balance(self, warning: LowBalance | None) -> None:
        """The operator's threshold was reached: the balance turns into a warning."""
        self._warning = warning
        self._show_balance()

    def _show_connection(self) -> None:
        words = {
            "starting": _("Connecting…"),
            "online": _("Online"),
            "offline": _("Offline: requests wait and go out when the connection returns"),
            "waiting": _("Online, waiting"),
        }[self._state]
        if self._detail:
            words = f"{words} — {_(self._detail)}"
        colour = _DOT[self._state]
        self.connection.setText(f'<span style="color:{colour}">●</span> {words}')

    def _show_queue(self) -> None:
        t = self._tally
        parts = []
        if t.pending:
            parts.append(_("{count} on the way").format(count=t.pending))
        if t.attention:
            parts.append(_("needing attention: {count}").format(count=t.attention))
        text = " · ".join(parts) if parts else _("Nothing waiting")
        if t.pending and self._waiting_reason:
            text += " — " + _("waiting: {reason}").format(reason=self._waiting_reason)
        self.queue.setText(text)

    def _show_today(self) -> None:
        self.today.setText(_("Stamped today: {count}").format(count=self._tally.done_today))

    def _show_balance(self) -> None:
        lang = current_language()
        shown = "—" if self._balance is None else format_number(self._balance, lang)
        text = _("Balance: {count} stamps").format(count=shown)
        if self._warning is None:
            self.balance.setText(text)
            self.balance.setToolTip("")
            return
        low = _("low, ask for a top-up")
        self.balance.setText(f'<b style="color:{_LOW}">⚠ {text} — {low}</b>')
        self.balance.setToolTip(self._warning.message().text())

    def retranslate(self) -> None:
        self._show_connection()
        self._show_queue()
        self._show_today()
        self._show_balance()

"""The question a duplicate asks: the same document was queued or stamped before.

Adding it again would buy a second stamp, which is almost always a mistake (the same
file picked twice, a stamped file forgotten); sometimes it is wanted (a second signed
original). So the add dialog asks instead of refusing or buying.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox, QWidget

from meterai.i18n import _
from meterai.outbox.states import State, state_label

if TYPE_CHECKING:
    from meterai.outbox.store import RequestRow


class StampAgainDialog:
    @classmethod
    def ask(cls, parent: QWidget | None, existing: RequestRow) -> bool:
        """Modal (tests replace this); the default and Escape answer no: nothing is bought."""
        box = QMessageBox(parent)
        box.setObjectName("stampAgainDialog")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(_("Meterai Desk"))
        box.setText(question(existing))
        box.setInformativeText(
            _("Stamping it again buys a second stamp. If you did not mean to, choose No.")
        )
        yes = box.addButton(_("Stamp again"), QMessageBox.ButtonRole.AcceptRole)
        no = box.addButton(QMessageBox.StandardButton.No)
        box.setDefaultButton(no)
        box.setEscapeButton(no)
        box.exec()
        return box.clickedButton() is yes


def question(existing: RequestRow) -> str:
    if existing.state == State.DONE:
        text = _("Already stamped as request {id} — stamp again?").format(id=existing.id)
        return f"{text}\n{existing.output_path}" if existing.output_path else text
    return _("Already in the outbox as request {id} ({state}) — stamp again?").format(
        id=existing.id, state=state_label(existing.state)
    )

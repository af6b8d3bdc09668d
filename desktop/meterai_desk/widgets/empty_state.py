"""What an empty outbox shows: one big target to drop documents on, and one button."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from meterai.i18n import _
from meterai_desk.qtranslator import follow_language


class EmptyState(QFrame):
    """A frame, not a plain widget, so its style sheet's border is painted.

    Shown at the first paint of a new user's window, so it names no ``Qt`` enum: PySide
    builds the whole Qt namespace (94 enums, some 25 ms) the first time one is named.
    The labels are centred by the property's name instead, the button by stretches.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        self.title = QLabel(self)
        self.title.setObjectName("emptyTitle")
        self.title.setProperty("alignment", "AlignCenter")
        self.body = QLabel(self)
        self.body.setProperty("alignment", "AlignCenter")
        self.body.setWordWrap(True)
        self.add = QPushButton(self)
        self.add.setObjectName("emptyAdd")
        self.add.setMinimumHeight(36)
        centred = QHBoxLayout()
        centred.addStretch(1)
        centred.addWidget(self.add)
        centred.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.title)
        layout.addWidget(self.body)
        layout.addSpacing(12)
        layout.addLayout(centred)
        layout.addStretch(2)
        self.setStyleSheet(
            "#emptyState { border: 2px dashed #b8c2cc; border-radius: 12px; }"
            "#emptyTitle { font-size: 18pt; color: #2d3a4a; }"
        )
        follow_language(self, self.retranslate)

    def retranslate(self) -> None:
        self.title.setText(_("No documents yet"))
        self.body.setText(
            _(
                "Drop PDF files or folders here. Each document is checked first, "
                "so no stamp is spent on a file the service would refuse."
            )
        )
        self.add.setText(_("Add documents…"))

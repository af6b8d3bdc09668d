"""What an empty outbox shows: one big target to drop documents on, and one button."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from meterai.i18n import _
from meterai_desk.qtranslator import follow_language


class EmptyState(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        # A plain QWidget paints no style-sheet border without this.
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.title = QLabel(self)
        self.title.setObjectName("emptyTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body = QLabel(self)
        self.body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.setWordWrap(True)
        self.add = QPushButton(self)
        self.add.setObjectName("emptyAdd")
        self.add.setMinimumHeight(36)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.title)
        layout.addWidget(self.body)
        layout.addSpacing(12)
        layout.addWidget(self.add, 0, Qt.AlignmentFlag.AlignCenter)
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

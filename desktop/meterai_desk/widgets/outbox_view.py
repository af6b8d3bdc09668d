"""The outbox's table: the rows of ``OutboxModel``, with a progress bar while bytes move.

Its own module, imported when the window first has rows to show: the first
``QTableView`` of a process builds PySide's item-view classes and their enums.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from meterai_desk.widgets.outbox_model import (
    COL_CUSTOMER,
    COL_FILE,
    COL_PROGRESS,
    Index,
    OutboxModel,
    ProgressRole,
)

if TYPE_CHECKING:
    from PySide6.QtGui import QPainter

    from meterai.outbox.store import RequestRow


class ProgressDelegate(QStyledItemDelegate):
    """A progress bar while bytes move; plain text otherwise.

    Its style-option classes are named when this module is imported, before the window
    shows: built by PySide at the first progress bar instead, mid-sync, with the sync
    workers holding the GIL, they stalled the GUI thread (test_the_gui_thread_never_stalls).
    """

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        value = index.data(ProgressRole)
        if value is None:
            super().paint(painter, option, index)
            return
        done, total = value
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(4, 2, -4, -2)
        bar.minimum, bar.maximum = 0, 1000
        bar.progress = int(1000 * min(done, total) / total)
        bar.text = f"{index.data()} {100 * done // total}%"
        bar.textVisible = True
        bar.state = QStyle.StateFlag.State_Enabled
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)


class OutboxView(QTableView):
    def __init__(self, model: OutboxModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("outbox")
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(28)
        self.setItemDelegateForColumn(COL_PROGRESS, ProgressDelegate(self))
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((44, 230, 170, 140, 60, 200)):
            self.setColumnWidth(column, width)
        # Last in the model (the other columns keep their numbers), shown after the ID,
        # and only in kiosk mode, where every request is some customer's.
        self.setColumnWidth(COL_CUSTOMER, 120)
        header.moveSection(header.visualIndex(COL_CUSTOMER), COL_FILE)
        self.show_customers(False)

    def show_customers(self, shown: bool) -> None:
        self.setColumnHidden(COL_CUSTOMER, not shown)

    def current_row(self) -> RequestRow | None:
        index = self.currentIndex()
        model = self.model()
        if not index.isValid() or not isinstance(model, OutboxModel):
            return None
        return model.row_at(index.row())

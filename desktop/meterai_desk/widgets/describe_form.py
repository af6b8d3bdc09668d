"""What the document is: type, number, date and value, checked as the user types.

An identity (KTP or NPWP, its number, a name) can be added for the accounts that must
name the party the duty is levied on; it stays empty otherwise.

The type list is the provider's, cached in the outbox for offline use; with dozens of
types a plain drop-down is slow to scan, so the combo box filters on any part of the
code or the name. Problems are shown under the field at once, in words, instead of
in a dialog after pressing the button.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDateEdit,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from meterai.doctypes import DocType
from meterai.errors import InputError
from meterai.i18n import _
from meterai.identity import (
    KINDS,
    Identity,
    IdentityIncomplete,
    identity_from,
    name_of,
    number_of,
)
from meterai_desk.qtranslator import follow_language

MAX_NODOC = 64
MAX_VALUE = 10**15
"""Rupiah; more than any real document, but it keeps a typo of extra zeros visible."""


@dataclass(frozen=True)
class Description:
    doc_type: str
    nodoc: str | None
    tgldoc: str
    nilaidoc: int | None
    identity: Identity | None = None


def parse_rupiah(text: str) -> int | None:
    """``1.500.000``, ``1,500,000``, ``Rp 1500000``: people write amounts many ways."""
    digits = text.strip().lower().removeprefix("rp").strip().replace(".", "").replace(",", "")
    digits = digits.replace(" ", "")
    if not digits:
        return None
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError(text)
    return int(digits)


class _Field(QWidget):
    """An editor with its error line under it."""

    def __init__(self, editor: QWidget, parent: QWidget) -> None:
        super().__init__(parent)
        self.editor = editor
        self.error = QLabel(self)
        self.error.setObjectName("fieldError")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(editor)
        layout.addWidget(self.error)

    def set_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))


class DescribeForm(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._make_editors()
        self._lay_out()
        self._types: tuple[DocType, ...] = ()
        self._touched = False
        self._connect_edits()
        follow_language(self, self.retranslate)

    def _make_editors(self) -> None:
        self.doc_type = QComboBox(self)
        self.doc_type.setObjectName("docType")
        self.doc_type.setEditable(True)
        self.doc_type.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        completer = QCompleter(self.doc_type.model(), self.doc_type)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.doc_type.setCompleter(completer)
        self.nodoc = QLineEdit(self)
        self.nodoc.setObjectName("nodoc")
        self.nodoc.setMaxLength(MAX_NODOC)
        self.date = QDateEdit(self)
        self.date.setObjectName("tgldoc")
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("dd-MM-yyyy")
        self.date.setDate(QDate.currentDate())
        self.value = QLineEdit(self)
        self.value.setObjectName("nilaidoc")
        self.id_kind = QComboBox(self)
        self.id_kind.setObjectName("idKind")
        self.id_kind.addItem("", "")
        for kind in KINDS:
            self.id_kind.addItem(kind, kind)
        self.id_number = QLineEdit(self)
        self.id_number.setObjectName("idNumber")
        self.id_name = QLineEdit(self)
        self.id_name.setObjectName("idName")

    def _lay_out(self) -> None:
        self._type_field = _Field(self.doc_type, self)
        self._nodoc_field = _Field(self.nodoc, self)
        self._date_field = _Field(self.date, self)
        self._value_field = _Field(self.value, self)
        self._id_kind_field = _Field(self.id_kind, self)
        self._id_number_field = _Field(self.id_number, self)
        self._id_name_field = _Field(self.id_name, self)
        self._labels = [QLabel(self) for _ in range(7)]
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        fields = (
            self._type_field,
            self._nodoc_field,
            self._date_field,
            self._value_field,
            self._id_kind_field,
            self._id_number_field,
            self._id_name_field,
        )
        for label, field in zip(self._labels, fields, strict=True):
            label.setBuddy(field.editor)
            form.addRow(label, field)

    def _connect_edits(self) -> None:
        self.doc_type.currentTextChanged.connect(self._edited)
        self.nodoc.textChanged.connect(self._edited)
        self.date.dateChanged.connect(self._edited)
        self.value.textChanged.connect(self._edited)
        self.id_kind.currentIndexChanged.connect(self._edited)
        self.id_number.textChanged.connect(self._edited)
        self.id_name.textChanged.connect(self._edited)

    def set_types(self, types: tuple[DocType, ...], current: str | None = None) -> None:
        self._types = types
        self.doc_type.blockSignals(True)
        self.doc_type.clear()
        for t in types:
            self.doc_type.addItem(f"{t.kode} — {t.nama}", t.kode)
        index = self.doc_type.findData(current) if current else -1
        self.doc_type.setCurrentIndex(index)
        if index < 0:
            self.doc_type.setEditText("")
        self.doc_type.blockSignals(False)
        self.changed.emit()

    def selected_type(self) -> str | None:
        index = self.doc_type.findText(self.doc_type.currentText().strip())
        return None if index < 0 else str(self.doc_type.itemData(index))

    def select_type(self, kode: str) -> None:
        self.doc_type.setCurrentIndex(self.doc_type.findData(kode))

    def errors(self) -> dict[str, str]:
        """Every problem by field; an empty dict means the description can be queued."""
        found: dict[str, str] = {}
        if self.selected_type() is None:
            found["doc_type"] = (
                _("Choose a document type from the list.")
                if not self.doc_type.currentText().strip()
                else _("“{text}” is not in the list of document types.").format(
                    text=self.doc_type.currentText().strip()
                )
            )
        if self.date.date() > QDate.currentDate():
            found["tgldoc"] = _("The date is in the future.")
        try:
            value = parse_rupiah(self.value.text())
            if value is not None and value > MAX_VALUE:
                found["nilaidoc"] = _("That amount is too large; check the number of zeros.")
        except ValueError:
            found["nilaidoc"] = _("Write the value in rupiah using digits, for example 1.500.000.")
        problem = self._identity_problem()
        if problem is not None:
            found[problem[0]] = problem[1]
        return found

    def _identity(self) -> Identity | None:
        return identity_from(
            str(self.id_kind.currentData() or ""), self.id_number.text(), self.id_name.text()
        )

    def _identity_problem(self) -> tuple[str, str] | None:
        """Which identity field is wrong, and why, in core's words: a wrong number is
        named as soon as it is typed, a missing field once nothing else is wrong."""
        kind = str(self.id_kind.currentData() or "")
        number, name = self.id_number.text().strip(), self.id_name.text().strip()
        checks = (
            ("id_number", kind and number, number_of, (kind, number)),
            ("id_name", name, name_of, (name,)),
        )
        for field, given, check, args in checks:
            try:
                if given:
                    check(*args)
            except InputError as exc:
                return field, exc.message().text()
        entered = {"id_kind": kind, "id_number": number, "id_name": name}
        missing = [field for field, text in entered.items() if not text]
        if missing and len(missing) < len(entered):
            return missing[0], IdentityIncomplete().message().text()
        return None

    def description(self) -> Description:
        """The form's values; call only when ``errors()`` is empty."""
        kode = self.selected_type()
        if kode is None:
            raise ValueError("no document type chosen")
        nodoc = self.nodoc.text().strip() or None
        date = self.date.date()
        tgldoc = dt.date(date.year(), date.month(), date.day()).isoformat()
        return Description(
            kode, nodoc, tgldoc, parse_rupiah(self.value.text()), identity=self._identity()
        )

    def show_errors(self, force: bool = False) -> bool:
        """Show problems under their fields (after the first edit, or when forced)."""
        found = self.errors()
        if self._touched or force:
            self._type_field.set_error(found.get("doc_type", ""))
            self._date_field.set_error(found.get("tgldoc", ""))
            self._value_field.set_error(found.get("nilaidoc", ""))
            self._id_kind_field.set_error(found.get("id_kind", ""))
            self._id_number_field.set_error(found.get("id_number", ""))
            self._id_name_field.set_error(found.get("id_name", ""))
        return not found

    def _edited(self) -> None:
        self._touched = True
        self.show_errors()
        self.changed.emit()

    def retranslate(self) -> None:
        texts = (
            _("Document &type"),
            _("Document &number"),
            _("Document &date"),
            _("&Value (Rp)"),
            _("&Identity"),
            _("Identity n&umber"),
            _("Name on the identit&y"),
        )
        for label, text in zip(self._labels, texts, strict=True):
            label.setText(text)
        self.id_kind.setItemText(0, _("None (most accounts)"))
        self.id_kind.setToolTip(
            _("Only if your account must name the party the duty is levied on.")
        )
        self.id_number.setPlaceholderText(_("NIK (16 digits) or NPWP"))
        self.id_name.setPlaceholderText(_("As written on the identity"))
        search = self.doc_type.lineEdit()
        if search is not None:  # always: the list is editable, so it can be searched
            search.setPlaceholderText(_("Type to search, e.g. perjanjian"))
        self.nodoc.setPlaceholderText(_("As written on the document (optional)"))
        self.value.setPlaceholderText(_("For example 1.500.000 (optional)"))
        if self._touched:
            self.show_errors()

"""Switching the language at run time changes every visible text of the main window."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QMenu, QWidget
from pytestqt.qtbot import QtBot

from meterai import i18n
from meterai.i18n import LOCALE_DIR
from meterai.outbox import NewRequest, Outbox
from meterai.settings import Paths, load_settings
from meterai_desk.main_window import MainWindow
from tests.support.desktop import WindowFactory

TAGS = re.compile(r"<[^>]+>")


def _pairs() -> dict[str, str]:
    """English msgid -> Indonesian msgstr, where they differ."""
    pairs = {}
    for po in (LOCALE_DIR / "id" / "LC_MESSAGES").glob("*.po"):
        with po.open("rb") as fh:
            for m in read_po(fh, locale="id"):
                if isinstance(m.id, str) and m.id and m.string and m.string != m.id:
                    pairs[m.id] = m.string
    return pairs


def _clean(text: str) -> str:
    return TAGS.sub("", text).replace("&", "").replace("●", "").strip()


def _menu_texts(menu: QMenu) -> list[str]:
    texts = [menu.title()]
    for action in menu.actions():
        texts.append(action.text())
        if action.menu() is not None:
            texts += _menu_texts(action.menu())
    return texts


def visible_texts(window: MainWindow) -> set[str]:
    texts = [window.windowTitle()]
    for widget in window.findChildren(QWidget):
        if not widget.isVisibleTo(window):
            continue
        if isinstance(widget, QLabel | QAbstractButton):
            texts.append(widget.text())
        if widget.toolTip():
            texts.append(widget.toolTip())
    for action in window.menuBar().actions():
        texts += _menu_texts(action.menu())
    model = window.outbox_model
    for column in range(model.columnCount()):
        texts.append(model.headerData(column, Qt.Orientation.Horizontal))
        for row in range(model.rowCount()):
            texts.append(model.index(row, column).data() or "")
    found = set()
    for text in texts:
        found |= {_clean(part) for part in re.split(r" — | · |: ", _clean(text)) if part}
    return found - {""}


def _fill(paths: Paths) -> None:
    box = Outbox.open(paths)
    box.add_document("ab" * 32, size=1, page_count=1, pdf_version="1.7", original_name="a.pdf")
    box.enqueue(
        NewRequest(
            doc_sha256="ab" * 32, file_name="a.pdf", doc_type="3", page_index=0, rect=(1, 1, 60, 60)
        )
    )
    box.close()


def test_switching_language_changes_every_visible_text(
    qtbot: QtBot, paths: Paths, open_window: WindowFactory
) -> None:
    _fill(paths)
    window = open_window(paths)
    model = window.outbox_model
    qtbot.waitUntil(lambda: model.rowCount() == 1)
    # The status bar's tally comes from the database worker on its own: snapshot after it.
    qtbot.waitUntil(lambda: window.status.queue.text().startswith("1 "))
    pairs = _pairs()
    english_ids = {_clean(k) for k in pairs}
    indonesian = {_clean(v) for v in pairs.values()}

    before = visible_texts(window)
    assert "Kotak keluar" in before and "Dalam antrean" in before
    assert not before & (english_ids - indonesian), before & english_ids

    window.language_actions["en"].trigger()
    qtbot.waitUntil(lambda: window.heading.text() == "Outbox")
    after = visible_texts(window)
    assert "Queued" in after and "Add documents…" in after
    assert not after & (indonesian - english_ids), after & indonesian

    assert i18n.current_language() == "en"
    qtbot.waitUntil(lambda: paths.settings_file.exists())
    assert load_settings(paths).language == "en"

    window.language_actions["id"].trigger()
    qtbot.waitUntil(lambda: window.heading.text() == "Kotak keluar")
    assert visible_texts(window) == before


def test_stock_qt_buttons_follow_the_language(
    qtbot: QtBot, paths: Paths, open_window: WindowFactory
) -> None:
    from PySide6.QtWidgets import QDialogButtonBox

    window = open_window(paths)
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, window)
    assert box.button(QDialogButtonBox.StandardButton.Cancel).text().replace("&", "") == "Batal"
    window.set_language("en")
    qtbot.waitUntil(
        lambda: (
            box.button(QDialogButtonBox.StandardButton.Cancel).text().replace("&", "") == "Cancel"
        )
    )

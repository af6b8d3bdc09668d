"""The GUI's way into a lost outbox is the same refusal as the CLI's, shown in a dialog."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from meterai.outbox import NewRequest, Outbox
from meterai.settings import Paths
from tests.support.desktop import WindowFactory

SHA = "ef" * 32


@pytest.mark.usefixtures("in_english")
def test_an_emptied_outbox_is_refused_in_a_dialog_not_shown_as_empty(
    qtbot: QtBot, paths: Paths, open_window: WindowFactory
) -> None:
    box = Outbox.open(paths)
    box.add_document(SHA, size=1, page_count=1, pdf_version="1.7", original_name="a.pdf")
    box.enqueue(
        NewRequest(doc_sha256=SHA, file_name="a.pdf", doc_type="3", page_index=0, rect=(0, 0, 9, 9))
    )
    box.close()
    (paths.docs_dir / f"{SHA}.pdf").write_bytes(b"%PDF-1.7\n")
    paths.database.write_bytes(b"")

    window = open_window(paths)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "errorBox") is not None, timeout=10_000)
    dialog = window.findChild(QMessageBox, "errorBox")
    assert "is empty" in dialog.text() and "meterai recover --restore" in dialog.text()
    assert paths.database.read_bytes() == b""
    dialog.close()

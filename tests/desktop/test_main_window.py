from __future__ import annotations

import subprocess
import sys

from pytestqt.qtbot import QtBot

from meterai.outbox import NewRequest, Outbox
from meterai.settings import Paths
from meterai_desk.main_window import MainWindow
from meterai_desk.tasks import TaskRunner
from meterai_desk.widgets.outbox_view import PAGE

SHA = "ef" * 32


def _fill(paths: Paths, count: int) -> None:
    box = Outbox.open(paths)
    box.add_document(SHA, size=1, page_count=1, pdf_version="1.7", original_name="a.pdf")
    for i in range(count):
        box.enqueue(
            NewRequest(
                doc_sha256=SHA,
                file_name=f"doc-{i}.pdf",
                doc_type="3",
                page_index=0,
                rect=(400, 40, 472, 112),
            )
        )
    box.close()


def _window(qtbot: QtBot, paths: Paths) -> MainWindow:
    window = MainWindow(paths, TaskRunner(paths))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_lists_the_outbox(qtbot: QtBot, paths: Paths) -> None:
    _fill(paths, 3)
    window = _window(qtbot, paths)
    model = window.outbox_model
    qtbot.waitUntil(lambda: model.rowCount() == 3)
    assert model.index(1, 1).data() == "doc-1.pdf"
    assert model.index(1, 2).data() == "Dalam antrean"
    window.close()


def test_pages_rows_in_lazily(qtbot: QtBot, paths: Paths) -> None:
    _fill(paths, PAGE * 2 + 10)
    window = _window(qtbot, paths)
    model = window.outbox_model
    qtbot.waitUntil(lambda: model.total == PAGE * 2 + 10)
    assert model.rowCount() == PAGE
    window.outbox_view.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() > PAGE)
    while model.canFetchMore():
        model.fetchMore()
        qtbot.waitUntil(lambda: not model._loading)
    assert model.rowCount() == PAGE * 2 + 10
    window.close()


def test_opening_the_window_leaves_the_store_and_the_add_flow_for_later() -> None:
    """GUI start is benchmarked: the outbox store (and sqlite3) loads on the worker that
    opens it, the add flow and the dialogs on first use."""
    later = (
        "sqlite3",
        "meterai.outbox.store",
        "meterai_desk.add_flow",
        "meterai_desk.dialogs.files",
        "meterai_desk.dialogs.journal_dialog",
        "meterai_desk.dialogs.close_dialog",
    )
    probe = (
        "import sys, meterai_desk.app, meterai_desk.main_window\n"
        f"print(sorted(m for m in {later!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"

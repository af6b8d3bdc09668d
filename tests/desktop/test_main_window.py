from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from meterai import i18n
from meterai.outbox import NewRequest, Outbox
from meterai.settings import Paths
from meterai_desk.main_window import MainWindow
from meterai_desk.tasks import TaskRunner
from meterai_desk.widgets.outbox_model import PAGE

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


@pytest.mark.usefixtures("in_english")
def test_lists_the_outbox(qtbot: QtBot, paths: Paths) -> None:
    _fill(paths, 3)
    window = _window(qtbot, paths)
    model = window.outbox_model
    qtbot.waitUntil(lambda: model.rowCount() == 3)
    assert model.index(1, 1).data() == "doc-1.pdf"
    assert model.index(1, 2).data() == "Queued"
    window.close()


def test_the_title_says_how_many_are_on_their_way(qtbot: QtBot, paths: Paths) -> None:
    """Seen in the task bar, and in the window list while the window sits in the tray."""
    i18n.set_language("en")  # the autouse fixture sets Indonesian back afterwards
    _fill(paths, 3)
    window = _window(qtbot, paths)
    qtbot.waitUntil(lambda: window.windowTitle() == "Meterai Desk — 3 on the way")
    box = Outbox.open(paths)
    box.cancel(box.requests()[0].id)
    box.close()
    window.presenter.refresh()
    qtbot.waitUntil(lambda: window.windowTitle() == "Meterai Desk — 2 on the way")


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


LATER = (
    "sqlite3",
    "meterai.outbox.store",
    "meterai_desk.add_flow",
    "meterai_desk.dialogs.files",
    "meterai_desk.dialogs.journal_dialog",
    "meterai_desk.dialogs.close_dialog",
)


def test_opening_the_window_leaves_the_store_and_the_add_flow_for_later(tmp_path: Path) -> None:
    """GUI start is benchmarked: the outbox store (and sqlite3) loads on the worker that
    opens it, the add flow and the dialogs on first use. The window is really built and
    its rows loaded; an import hook records which thread imported what."""
    probe = f"""
import os, sys, threading, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
watched = {LATER!r}
first_import = {{}}

class Watch:
    def find_spec(self, name, path=None, target=None):
        if name in watched and name not in first_import:
            first_import[name] = threading.current_thread() is threading.main_thread()
        return None

sys.meta_path.insert(0, Watch())
import meterai_desk.app
from PySide6.QtWidgets import QApplication
from meterai.settings import resolve_paths
from meterai_desk.main_window import MainWindow
from meterai_desk.tasks import TaskRunner
app = QApplication([])
paths = resolve_paths({str(tmp_path / "data")!r})
window = MainWindow(paths, TaskRunner(paths))
window.show()
deadline = time.monotonic() + 30
while window.outbox_model._loading and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.01)
print(sorted(name for name, on_main in first_import.items() if on_main))
print(sorted(first_import))
os._exit(0)
"""
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=90
    )
    on_main, imported = done.stdout.strip().splitlines()[-2:]
    assert on_main == "[]", f"imported on the GUI thread: {on_main}"
    assert imported == "['meterai.outbox.store', 'sqlite3']", "the rows loaded on a worker"

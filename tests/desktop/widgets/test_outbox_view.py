"""The outbox table's progress column, fed the events the sync engine really sends."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from meterai.intake import IntakeOptions, queue_file
from meterai.outbox import Outbox
from meterai.settings import Paths
from meterai.sync.events import BytesMoved
from meterai_desk.widgets.outbox_view import COL_PROGRESS, ProgressRole
from tests.support.desktop import WindowFactory
from tests.support.pdfs import make_pdf


def _queue_one(paths: Paths, folder: Path) -> int:
    box = Outbox.open(paths)
    try:
        return queue_file(box, paths, make_pdf(folder / "cv.pdf"), IntakeOptions("3")).request.id
    finally:
        box.close()


def test_a_transfer_of_unknown_size_shows_its_phase_without_a_bar(
    qtbot: QtBot, paths: Paths, tmp_path: Path, open_window: WindowFactory
) -> None:
    """Before: a download answered without Content-Length (total None) made the model's
    data() raise inside a paint, and shiboken crashed the whole app (SIGSEGV) while
    reporting it."""
    request_id = _queue_one(paths, tmp_path)
    window = open_window(paths)
    model = window.outbox_model
    qtbot.waitUntil(lambda: model.rowCount() == 1)
    index = model.index(0, COL_PROGRESS)

    model.set_progress({request_id: BytesMoved(request_id, "download", 4096, None)})
    assert model.data(index, ProgressRole) is None
    assert model.data(index) != ""
    window.outbox_view.viewport().repaint()

    model.set_progress({request_id: BytesMoved(request_id, "download", 4096, 8192)})
    assert model.data(index, ProgressRole) == (4096, 8192)
    window.outbox_view.viewport().repaint()

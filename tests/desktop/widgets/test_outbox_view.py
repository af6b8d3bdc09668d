"""The outbox table's progress column, fed the events the sync engine really sends."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from meterai import i18n
from meterai.intake import IntakeOptions, queue_file
from meterai.messages import Message
from meterai.outbox import Outbox, State
from meterai.settings import Paths
from meterai.sync.events import BytesMoved
from meterai_desk.widgets.outbox_model import (
    COL_PROGRESS,
    COL_QUEUE,
    COL_REASON,
    COL_STATE,
    DISPLAY_ROLE,
    ProgressRole,
)
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


def test_the_window_and_the_cli_name_a_state_in_the_same_words(
    qtbot: QtBot, paths: Paths, tmp_path: Path, open_window: WindowFactory
) -> None:
    """Before: the window said "Getting a serial number" where ``meterai status`` said
    "numbering" (two tables of labels)."""
    request_id = _queue_one(paths, tmp_path)
    box = Outbox.open(paths)
    try:
        box.transition(request_id, State.UPLOADED, provider_file_id="f1")
        box.transition(request_id, State.NUMBERING, numbering_tag="t1")
    finally:
        box.close()
    i18n.set_language("en")  # the autouse fixture sets Indonesian back afterwards
    window = open_window(paths)
    model = window.outbox_model
    qtbot.waitUntil(lambda: model.rowCount() == 1)
    shown = model.index(0, COL_STATE).data()
    assert shown == "Getting a serial number"

    meterai = Path(sys.executable).with_name("meterai")
    status = subprocess.run(
        [str(meterai), "--data-dir", str(paths.data_dir), "--lang", "en", "status"],
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": str(tmp_path)},
        timeout=120,
    )
    line = next(x for x in status.stdout.splitlines() if x.split()[:1] == [str(request_id)])
    assert shown in line, status.stdout


def test_the_queue_position_and_the_provider_words_survive_a_restart(
    qtbot: QtBot, paths: Paths, tmp_path: Path, open_window: WindowFactory
) -> None:
    """Before: the Queue column was filled only by the live sync event, so a window opened
    after the sync had heard "Antrian sedang penuh" showed an empty column and no words."""
    request_id = _queue_one(paths, tmp_path)
    busy = "Antrian sedang penuh, silakan coba kembali nanti"
    box = Outbox.open(paths)
    try:
        box.record_failure(
            request_id,
            Message("The stamping service is busy or failing (HTTP {status}).", {"status": 503}),
            next_attempt_at=4e9,
            queue_position=41,
            provider_message=busy,
        )
    finally:
        box.close()
    i18n.set_language("en")  # the autouse fixture sets Indonesian back afterwards
    window = open_window(paths)
    model = window.outbox_model
    qtbot.waitUntil(lambda: model.rowCount() == 1)
    assert model.index(0, COL_QUEUE).data() == "41"
    reason = model.index(0, COL_REASON).data()
    assert f"the provider says: \u201c{busy}\u201d" in reason
    assert reason.startswith("The stamping service is busy")


def _waiting_to_restamp(paths: Paths, folder: Path, bought_hours_ago: float) -> int:
    """A request whose stamp was tried with a paid serial number and refused: it needs the
    user, holding the serial number bought ``bought_hours_ago`` (the engine's own moves)."""
    folder.mkdir()
    request_id = _queue_one(paths, folder)
    sn = f"ABCDEFGHIJ0123456789X{request_id}"
    box = Outbox.open(paths, clock=lambda: time.time() - bought_hours_ago * 3600)
    try:
        box.transition(request_id, State.UPLOADED, detail="uploaded", provider_file_id="f1")
        box.transition(request_id, State.NUMBERING, detail="buying", numbering_tag=None)
        box.record_serial(sn, request_id=request_id, tag=None, source="bought")
        box.transition(request_id, State.NUMBERED, detail="bought", sn=sn)
        box.note(request_id, "stamping call", stamp_tries=1)
        box.transition(request_id, State.NEEDS_ATTENTION, detail="refused")
    finally:
        box.close()
    return request_id


def test_a_stamp_waiting_for_a_retry_shows_the_providers_48_hour_window(
    qtbot: QtBot, paths: Paths, tmp_path: Path, open_window: WindowFactory
) -> None:
    _waiting_to_restamp(paths, tmp_path / "a", bought_hours_ago=1)
    _waiting_to_restamp(paths, tmp_path / "b", bought_hours_ago=49)
    i18n.set_language("en")  # the autouse fixture sets Indonesian back afterwards
    window = open_window(paths)
    model = window.outbox_model
    qtbot.waitUntil(lambda: model.rowCount() == 2)
    open_one, closed_one = (model.index(i, COL_REASON).data() for i in range(2))
    assert "retry the stamp by" in open_one, open_one
    assert "48-hour window for retrying this stamp closed at" in closed_one, closed_one


def test_the_roles_and_looks_named_without_the_qt_namespace_are_qts_own(
    qtbot: QtBot, paths: Paths, open_window: WindowFactory
) -> None:
    """The first paint names no ``Qt`` enum (see ``outbox_model``): what it uses instead
    still means what Qt means."""
    assert Qt.ItemDataRole.DisplayRole == DISPLAY_ROLE
    assert ProgressRole == Qt.ItemDataRole.UserRole + 1
    window = open_window(paths)
    assert window.toolbar.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonTextBesideIcon
    for label in window.empty.findChildren(QLabel):
        assert label.alignment() == Qt.AlignmentFlag.AlignCenter
    # The shortcuts are set right after the first paint (``MainWindow._set_shortcuts``).
    qtbot.waitUntil(lambda: not window.add_action.shortcut().isEmpty())
    assert (
        window.add_action.shortcut().matches(QKeySequence(QKeySequence.StandardKey.Open))
        == QKeySequence.SequenceMatch.ExactMatch
    )

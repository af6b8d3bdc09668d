"""Issue 13 in the GUI: a request refused after its serial number was bought offers a
corrected document or a cancel that keeps the serial number, through the core's verbs."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from meterai.i18n import _
from meterai.intake import IntakeOptions, queue_file
from meterai.outbox import Outbox, State
from meterai.settings import Paths
from meterai_desk.dialogs.files import ReplacementFileDialog
from meterai_desk.main_window import MainWindow
from tests.support.desktop import WindowFactory
from tests.support.pdfs import make_pdf

SN = "B" * 22


def _refused_after_payment(paths: Paths, folder: Path) -> int:
    """What the engine leaves when the stamping call refuses a paid-for document."""
    box = Outbox.open(paths)
    try:
        row = queue_file(box, paths, make_pdf(folder / "cv.pdf"), IntakeOptions("3")).request
        box.transition(row.id, State.UPLOADED, provider_file_id="f-1")
        box.transition(row.id, State.NUMBERING)
        box.record_serial(SN, request_id=row.id, tag=row.numbering_tag, source="bought")
        box.transition(row.id, State.NUMBERED, sn=SN)
        box.transition(row.id, State.NEEDS_ATTENTION, detail="PDF tidak dapat dibaca")
        return row.id
    finally:
        box.close()


def _select_first(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.outbox_model.rowCount() == 1)
    window.outbox_view.setCurrentIndex(window.outbox_model.index(0, 0))
    qtbot.waitUntil(lambda: window.actions_.replace.isEnabled())


def _row_in_store(paths: Paths, request_id: int) -> tuple[State, str | None, str]:
    box = Outbox.open(paths)
    try:
        row = box.get(request_id)
        return row.state, row.sn, row.file_name
    finally:
        box.close()


def test_a_refused_request_offers_a_corrected_document_keeping_its_serial_number(
    qtbot: QtBot,
    paths: Paths,
    tmp_path: Path,
    open_window: WindowFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    request_id = _refused_after_payment(paths, tmp_path)
    corrected = make_pdf(tmp_path / "cv-fixed.pdf")
    monkeypatch.setattr(ReplacementFileDialog, "ask", classmethod(lambda _c, _p, _n: corrected))
    window = open_window(paths)
    _select_first(qtbot, window)
    assert window.actions_.cancel.text() == _("&Cancel (keep the stamp for the next document)")

    window.actions_.replace.trigger()

    qtbot.waitUntil(
        lambda: _row_in_store(paths, request_id) == (State.QUEUED, SN, "cv-fixed.pdf"),
        timeout=10000,
    )
    qtbot.waitUntil(lambda: not window.actions_.replace.isEnabled())


def test_cancelling_a_refused_request_keeps_its_serial_number_for_the_next_document(
    qtbot: QtBot, paths: Paths, tmp_path: Path, open_window: WindowFactory
) -> None:
    request_id = _refused_after_payment(paths, tmp_path)
    window = open_window(paths)
    _select_first(qtbot, window)
    assert window.actions_.cancel.isEnabled()

    window.actions_.cancel.trigger()

    qtbot.waitUntil(lambda: _row_in_store(paths, request_id)[0] == State.CANCELLED, timeout=10000)
    box = Outbox.open(paths)
    try:
        assert box.orphans() == [SN]
    finally:
        box.close()


def test_retry_sends_a_refused_request_again_through_the_one_retry_verb(
    qtbot: QtBot, paths: Paths, tmp_path: Path, open_window: WindowFactory
) -> None:
    """The app's retry and ``meterai retry`` leave the same row: queued, the serial
    number kept, no old reason or attempt count left beside it."""
    request_id = _refused_after_payment(paths, tmp_path)
    window = open_window(paths)
    _select_first(qtbot, window)
    assert window.actions_.retry.isEnabled()

    window.actions_.retry.trigger()

    qtbot.waitUntil(lambda: _row_in_store(paths, request_id)[0] == State.QUEUED, timeout=10000)
    box = Outbox.open(paths)
    try:
        row = box.get(request_id)
        assert (row.sn, row.attempts, row.last_error_msg, row.waiting_reason) == (SN, 0, None, None)
        assert box.journal(request_id)[-1].detail == "retried by the user"
    finally:
        box.close()

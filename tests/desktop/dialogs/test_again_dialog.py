"""Issue 13: a document already queued or stamped is a question in the GUI, not a purchase."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from meterai.intake import IntakeOptions, queue_file
from meterai.outbox import Outbox, RequestRow, State
from meterai.settings import Paths
from meterai_desk.dialogs.again_dialog import StampAgainDialog, question
from tests.support.desktop import WindowFactory, add_and_wait, describe
from tests.support.pdfs import make_pdf


def _queued_before(paths: Paths, pdf: Path) -> None:
    box = Outbox.open(paths)
    try:
        queue_file(box, paths, pdf, IntakeOptions(doc_type="3"))
    finally:
        box.close()


def _requests(paths: Paths) -> list[RequestRow]:
    box = Outbox.open(paths)
    try:
        return box.requests()
    finally:
        box.close()


def _answer(monkeypatch: pytest.MonkeyPatch, answer: bool) -> list[RequestRow]:
    asked: list[RequestRow] = []

    def ask(_cls: object, _parent: object, existing: RequestRow) -> bool:
        asked.append(existing)
        return answer

    monkeypatch.setattr(StampAgainDialog, "ask", classmethod(ask))
    return asked


def test_a_document_already_queued_is_asked_about_before_placing_and_no_adds_nothing(
    qtbot: QtBot,
    paths: Paths,
    tmp_path: Path,
    open_window: WindowFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pdf = make_pdf(tmp_path / "surat.pdf", version="1.4")  # fixed on the way in: a copy
    _queued_before(paths, pdf)
    asked = _answer(monkeypatch, False)
    window = open_window(paths)
    with qtbot.waitSignal(window.adder.dialogOpened, timeout=5000):
        window.add_files([pdf])
    qtbot.waitUntil(lambda: bool(asked) and window.adder.dialog is None, timeout=10000)
    assert [r.id for r in asked] == [1], "asked once, naming the earlier request"
    assert len(_requests(paths)) == 1


def test_stamp_again_is_asked_once_and_queues_a_second_request(
    qtbot: QtBot,
    paths: Paths,
    tmp_path: Path,
    open_window: WindowFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pdf = make_pdf(tmp_path / "surat.pdf", version="1.4")
    _queued_before(paths, pdf)
    asked = _answer(monkeypatch, True)
    window = open_window(paths)
    dialog = add_and_wait(qtbot, window, pdf)
    qtbot.waitUntil(lambda: len(asked) == 1)
    describe(qtbot, dialog)
    with qtbot.waitSignal(dialog.queued, timeout=10000):
        qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
    assert [r.id for r in asked] == [1]
    assert len(_requests(paths)) == 2


def test_a_document_queued_while_the_dialog_is_open_is_asked_about_at_confirm(
    qtbot: QtBot,
    paths: Paths,
    tmp_path: Path,
    open_window: WindowFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The check inside the inserting transaction is the one that counts."""
    pdf = make_pdf(tmp_path / "surat.pdf")
    asked = _answer(monkeypatch, False)
    window = open_window(paths)
    dialog = add_and_wait(qtbot, window, pdf)
    describe(qtbot, dialog)
    _queued_before(paths, pdf)  # the kiosk, or another window, was quicker
    with qtbot.waitSignal(dialog.finished, timeout=10000):
        qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
    assert [r.id for r in asked] == [1]
    assert len(_requests(paths)) == 1


def test_the_question_names_the_earlier_request_and_its_stamped_file(
    paths: Paths, tmp_path: Path
) -> None:
    _queued_before(paths, make_pdf(tmp_path / "a.pdf"))
    (row,) = _requests(paths)
    assert "1" in question(row) and "?" in question(row)
    done = replace(row, state=State.DONE, output_path="/out/a-emeterai.pdf")
    assert question(done).endswith("/out/a-emeterai.pdf")

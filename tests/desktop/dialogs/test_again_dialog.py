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
from tests.desktop.conftest import WindowFactory, add_and_wait, describe
from tests.pdfs import make_pdf


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


@pytest.mark.parametrize("answer", [False, True])
def test_adding_a_queued_document_again_asks_before_buying(
    qtbot: QtBot,
    paths: Paths,
    tmp_path: Path,
    open_window: WindowFactory,
    monkeypatch: pytest.MonkeyPatch,
    answer: bool,
) -> None:
    pdf = make_pdf(tmp_path / "surat.pdf", version="1.4")  # fixed on the way in: a copy
    _queued_before(paths, pdf)
    asked: list[RequestRow] = []

    def ask(_cls: object, _parent: object, existing: RequestRow) -> bool:
        asked.append(existing)
        return answer

    monkeypatch.setattr(StampAgainDialog, "ask", classmethod(ask))
    window = open_window(paths)
    dialog = add_and_wait(qtbot, window, pdf)
    describe(qtbot, dialog)
    with qtbot.waitSignal(dialog.finished, timeout=10000):
        qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)

    assert [r.id for r in asked] == [1]
    rows = _requests(paths)
    assert len(rows) == (2 if answer else 1)
    assert (dialog.accepted_request is not None) == answer


def test_the_question_names_the_earlier_request_and_its_stamped_file(
    paths: Paths, tmp_path: Path
) -> None:
    _queued_before(paths, make_pdf(tmp_path / "a.pdf"))
    (row,) = _requests(paths)
    assert "1" in question(row) and "?" in question(row)
    done = replace(row, state=State.DONE, output_path="/out/a-emeterai.pdf")
    assert question(done).endswith("/out/a-emeterai.pdf")

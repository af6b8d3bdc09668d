"""Add, check, place, describe, confirm: the request is in the outbox with what the user chose."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPointF, Qt
from pytestqt.qtbot import QtBot

from meterai import intake
from meterai.documents import DocumentStore, Fix
from meterai.i18n import _
from meterai.intake import Prepared
from meterai.outbox import Outbox, State
from meterai.placement import page_geometry
from meterai.settings import Paths
from meterai_desk.dialogs import add_dialog
from tests.support.desktop import WindowFactory, add_and_wait, describe, drag
from tests.support.pdfs import make_pdf


def test_add_place_describe_confirm_queues_a_request(
    qtbot: QtBot, paths: Paths, tmp_path: Path, open_window: WindowFactory
) -> None:
    pdf = make_pdf(tmp_path / "surat.pdf", pages=2, version="1.4")
    window = open_window(paths)
    dialog = add_and_wait(qtbot, window, pdf)
    assert "PDF 1.7" in dialog.findings.text(), "the automatic fix is shown in words"
    assert not dialog.confirm.isEnabled(), "no type chosen yet"

    drag(qtbot, dialog, QPointF(-100, -50))
    describe(qtbot, dialog)
    assert dialog.confirm.isEnabled()
    placement = dialog.placement()
    with qtbot.waitSignal(dialog.queued, timeout=10000):
        qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)

    box = Outbox.open(paths)
    (row,) = box.requests()
    box.close()
    assert row.state == State.QUEUED
    assert (row.doc_type, row.nodoc, row.nilaidoc) == ("3", "SP-001/2026", 1_500_000)
    assert row.page_index == placement.page_index == 1
    for got, want in zip(
        row.rect,
        (placement.rect.x1, placement.rect.y1, placement.rect.x2, placement.rect.y2),
        strict=True,
    ):
        assert abs(got - want) < 0.01
    assert pdf.read_bytes()[:8] == b"%PDF-1.4", "the original is untouched"
    qtbot.waitUntil(lambda: window.outbox_model.rowCount() == 1)
    assert window.stack.currentWidget() is window.outbox_view


def test_the_database_worker_stays_free_while_a_confirmed_document_is_prepared(
    qtbot: QtBot,
    paths: Paths,
    tmp_path: Path,
    open_window: WindowFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 16: confirming ran the whole of ``queue_file`` (pre-flight, fixes, the copy)
    on the single database worker, so every other read and write of the window waited
    behind a large scan. Now ``intake.prepare`` runs on the work pool and only
    ``intake.commit`` on the database worker."""
    release, threads = threading.Event(), []

    def slow_prepare(*args: Any, **kwargs: Any) -> Prepared:
        threads.append(threading.current_thread().name)
        assert release.wait(20), "the test never released the file work"
        return intake.prepare(*args, **kwargs)

    monkeypatch.setattr(add_dialog, "prepare", slow_prepare)
    window = open_window(paths)
    dialog = add_and_wait(qtbot, window, make_pdf(tmp_path / "surat.pdf"))
    describe(qtbot, dialog)
    qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(threads))

    counted: list[int] = []
    window.tasks.db(lambda box: box.count(), counted.append)
    qtbot.waitUntil(lambda: counted == [0], timeout=5000)  # answered while the file work waits

    with qtbot.waitSignal(dialog.queued, timeout=10000):
        release.set()
    assert threads[0].startswith("meterai-work")
    box = Outbox.open(paths)
    try:
        assert [r.state for r in box.requests()] == [State.QUEUED]
    finally:
        box.close()


def test_a_rejected_document_cannot_be_confirmed(
    qtbot: QtBot, paths: Paths, tmp_path: Path, open_window: WindowFactory
) -> None:
    bad = tmp_path / "not.pdf"
    bad.write_text("hello")
    window = open_window(paths)
    window.add_files([bad])
    qtbot.waitUntil(lambda: window.adder.dialog is not None)
    dialog = window.adder.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: "PDF" in dialog.findings.text())
    assert not dialog.ready and not dialog.confirm.isEnabled()


def test_folders_are_expanded_and_files_offered_one_after_another(
    qtbot: QtBot, paths: Paths, tmp_path: Path, open_window: WindowFactory
) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    make_pdf(folder / "a.pdf")
    make_pdf(folder / "b.pdf")
    window = open_window(paths)
    first = add_and_wait(qtbot, window, folder)
    assert first.path.name == "a.pdf"
    first.reject()
    qtbot.waitUntil(lambda: window.adder.dialog is not None and window.adder.dialog is not first)
    assert window.adder.dialog is not None and window.adder.dialog.path.name == "b.pdf"


def test_the_last_position_is_remembered_per_document_type(
    qtbot: QtBot, paths: Paths, tmp_path: Path, open_window: WindowFactory
) -> None:
    window = open_window(paths)
    dialog = add_and_wait(qtbot, window, make_pdf(tmp_path / "one.pdf"))
    drag(qtbot, dialog, QPointF(-200, -300))
    describe(qtbot, dialog)
    chosen = dialog.pages.canvas.stamp.scene_rect()
    with qtbot.waitSignal(dialog.queued, timeout=10000):
        dialog.submit()
    qtbot.waitUntil(lambda: window.adder.dialog is None)

    second = add_and_wait(qtbot, window, make_pdf(tmp_path / "two.pdf"))
    describe(qtbot, second)
    again = second.pages.canvas.stamp.scene_rect()
    assert abs(again.left() - chosen.left()) < 0.01 and abs(again.top() - chosen.top()) < 0.01


@pytest.mark.usefixtures("in_english")
def test_an_identity_is_checked_as_typed_and_queued_with_the_request(
    qtbot: QtBot, paths: Paths, tmp_path: Path, open_window: WindowFactory
) -> None:
    window = open_window(paths)
    dialog = add_and_wait(qtbot, window, make_pdf(tmp_path / "surat.pdf"))
    describe(qtbot, dialog)
    form = dialog.form
    assert dialog.confirm.isEnabled(), "no identity is needed by default"

    form.id_kind.setCurrentIndex(form.id_kind.findData("KTP"))
    qtbot.keyClicks(form.id_number, "3174 0123 4567")
    assert not dialog.confirm.isEnabled()
    number_error = form._id_number_field.error
    assert number_error.isVisible()
    assert number_error.text() == "A KTP number (NIK) has 16 digits; “3174 0123 4567” does not."

    qtbot.keyClicks(form.id_number, " 8901")
    assert not number_error.isVisible()
    assert form._id_name_field.error.text().startswith("Give the identity type")
    qtbot.keyClicks(form.id_name, "Siti Aminah")
    assert dialog.confirm.isEnabled()
    with qtbot.waitSignal(dialog.queued, timeout=10000):
        qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)

    box = Outbox.open(paths)
    (row,) = box.requests()
    box.close()
    assert (row.namejidentitas, row.noidentitas, row.namedipungut) == (
        "KTP",
        "3174012345678901",
        "Siti Aminah",
    )


def test_a_letter_page_for_sscasn_is_fitted_to_a4_and_placed_on_the_a4_page(
    qtbot: QtBot, paths: Paths, tmp_path: Path, open_window: WindowFactory
) -> None:
    """Issue 18 item 5 in the app: the fix is said in words, the preview is the A4 page the
    stamp lands on, and the queued document is that page."""
    pdf = make_pdf(tmp_path / "letter.pdf", size=(612.0, 792.0))
    window = open_window(paths)
    dialog = add_and_wait(qtbot, window, pdf)
    dialog.target.setCurrentIndex(dialog.target.findData("sscasn"))
    qtbot.waitUntil(lambda: dialog.ready and "A4" in dialog.findings.text(), timeout=10000)
    assert _(add_dialog.FIX_DONE[Fix.FIT_A4]) in dialog.findings.text()
    width, height = dialog.pages.canvas.page_geometry().visual_size
    assert (round(width, 2), round(height, 2)) == (595.28, 841.89)

    describe(qtbot, dialog)
    placement = dialog.placement()
    with qtbot.waitSignal(dialog.queued, timeout=10000):
        qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)

    box = Outbox.open(paths)
    (row,) = box.requests()
    box.close()
    stored = DocumentStore(paths.data_dir).path_for(row.doc_sha256)
    assert page_geometry(stored, 0).visual_size == (width, height)
    assert row.rect == pytest.approx(
        (placement.rect.x1, placement.rect.y1, placement.rect.x2, placement.rect.y2), abs=0.01
    )

"""Simpan bukti in the GUI: from the outbox's selected request to the zip on disk.

Real widgets offscreen, a real outbox file, the zip written by the core on the work
pool; only the file chooser is answered by the test.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from meterai.intake import IntakeOptions, queue_file
from meterai.messages import Message
from meterai.outbox import Outbox, State
from meterai.settings import Paths
from meterai_desk.dialogs.evidence_dialog import EvidenceDialog, EvidenceFileDialog
from meterai_desk.main_window import MainWindow
from tests.support.desktop import WindowFactory
from tests.support.pdfs import make_pdf

SN = "ZX8Q4T0P2M6A1C9D5E3F7B"
BUSY = Message("The stamping service is busy or failing (HTTP {status}).", {"status": 503})


def failed_twice_then_done(paths: Paths, folder: Path) -> int:
    """The outbox as the engine leaves a request whose stamping failed twice, then worked."""
    box = Outbox.open(paths)
    try:
        row = queue_file(box, paths, make_pdf(folder / "cv.pdf"), IntakeOptions("3")).request
        box.transition(row.id, State.UPLOADED, provider_file_id="f-1")
        box.transition(row.id, State.NUMBERING)
        box.transition(row.id, State.NUMBERED, sn=SN)
        for _ in range(2):
            box.record_failure(row.id, BUSY, next_attempt_at=None, code="provider_busy")
        for state in (State.STAMPED, State.DOWNLOADED, State.VERIFIED):
            box.transition(row.id, state)
        stamped = make_pdf(folder / "cv-emeterai.pdf")
        box.transition(row.id, State.DONE, output_path=str(stamped))
        return row.id
    finally:
        box.close()


def open_evidence(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> EvidenceDialog:
    shown: list[EvidenceDialog] = []
    original = EvidenceDialog.ask.__func__  # type: ignore[attr-defined]

    def keep(cls: type[EvidenceDialog], *args: object) -> EvidenceDialog:
        dialog: EvidenceDialog = original(cls, *args)
        shown.append(dialog)
        return dialog

    monkeypatch.setattr(EvidenceDialog, "ask", classmethod(keep))
    qtbot.waitUntil(lambda: window.outbox_model.rowCount() == 1)
    window.outbox_view.setCurrentIndex(window.outbox_model.index(0, 0))
    qtbot.waitUntil(lambda: window.actions_.evidence.isEnabled())
    window.actions_.evidence.trigger()
    qtbot.waitUntil(lambda: bool(shown))
    return shown[0]


def test_save_evidence_writes_the_zip_of_the_selected_request(
    qtbot: QtBot,
    paths: Paths,
    tmp_path: Path,
    open_window: WindowFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failed_twice_then_done(paths, tmp_path)
    window = open_window(paths)
    dialog = open_evidence(qtbot, window, monkeypatch)
    assert dialog.windowTitle() == "Simpan bukti permintaan 1"
    assert "2" in [dialog.facts.itemAt(i).widget().text() for i in range(dialog.facts.count())]
    assert "cv-emeterai.pdf" in dialog.contents.text()
    chosen = tmp_path / "klaim" / "bukti"
    monkeypatch.setattr(
        EvidenceFileDialog, "ask", classmethod(lambda cls, p, s: chosen.with_suffix(".zip"))
    )
    dialog.choose.click()

    dialog.save.click()

    qtbot.waitUntil(lambda: dialog.saved is not None or dialog.failure is not None, timeout=20_000)
    assert dialog.failure is None and dialog.saved == tmp_path / "klaim" / "bukti.zip"
    assert dialog.open_folder.isVisibleTo(dialog)
    assert str(dialog.saved) in dialog.outcome.text()
    with zipfile.ZipFile(dialog.saved) as bundle:
        names = set(bundle.namelist())
        journal = json.loads(bundle.read("journal.json"))
    assert names == {"summary.pdf", "journal.json", "log.txt", "stamped/cv-emeterai.pdf"}
    assert journal["failed_attempts"] == 2 and journal["request"]["sn"] == SN


def test_a_destination_that_cannot_be_written_is_said_in_the_dialog(
    qtbot: QtBot,
    paths: Paths,
    tmp_path: Path,
    open_window: WindowFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failed_twice_then_done(paths, tmp_path)
    (tmp_path / "a-file").write_text("not a folder")
    window = open_window(paths)
    dialog = open_evidence(qtbot, window, monkeypatch)
    dialog.dest.setText(str(tmp_path / "a-file" / "bukti.zip"))

    dialog.save.click()

    qtbot.waitUntil(lambda: dialog.failure is not None, timeout=20_000)
    assert dialog.outcome.text().startswith("Bukti tidak dapat disimpan sebagai")
    assert dialog.save.isEnabled() and not dialog.open_folder.isVisibleTo(dialog)


def test_the_dialog_follows_a_language_switch(
    qtbot: QtBot,
    paths: Paths,
    tmp_path: Path,
    open_window: WindowFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failed_twice_then_done(paths, tmp_path)
    window = open_window(paths)
    dialog = open_evidence(qtbot, window, monkeypatch)
    window.set_language("en")
    qtbot.waitUntil(lambda: dialog.windowTitle() == "Save evidence of request 1")
    assert dialog.save.text() == "&Save evidence"

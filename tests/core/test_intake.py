from __future__ import annotations

import errno
import multiprocessing
import os
import tempfile
import threading
from pathlib import Path

import pytest

from meterai.documents import DocumentStore, preflight
from meterai.errors import NotARegularFile, PdfRejected
from meterai.intake import (
    Accepted,
    DuplicateDocument,
    IntakeOptions,
    commit,
    prepare,
    queue_files,
)
from meterai.messages import Message
from meterai.outbox import Outbox, State
from meterai.overlap import StampCoversContent
from meterai.placement import Rect, default_placement, page_geometry
from meterai.settings import Paths
from tests.support.cli import run_in_process
from tests.support.content import Things, make_page
from tests.support.pdfs import make_encrypted, make_pdf

HANG = 60.0
"""How long a queue that waits for a writer that never comes is given before it counts
as hung: any bound shows that, so a generous one keeps a loaded machine out of it."""


def test_a_batch_queues_the_good_files_and_names_the_bad_one(paths: Paths, tmp_path: Path) -> None:
    good = [make_pdf(tmp_path / f"g{i}.pdf", pages=i + 1) for i in range(3)]
    bad = make_encrypted(tmp_path / "locked.pdf")
    options = IntakeOptions(doc_type="3")
    box = Outbox.open(paths)
    results = queue_files(
        box, paths, [(good[0], options), (bad, options), (good[1], options), (good[2], options)]
    )
    assert [type(r) for r in results] == [Accepted, PdfRejected, Accepted, Accepted]
    rows = box.requests()
    assert [(r.file_name, r.state) for r in rows] == [
        ("g0.pdf", State.QUEUED),
        ("g1.pdf", State.QUEUED),
        ("g2.pdf", State.QUEUED),
    ]
    for row in rows:
        assert (paths.docs_dir / f"{row.doc_sha256}.pdf").is_file()
    box.close()
    assert not any("locked" in p.name for p in paths.data_dir.rglob("*"))


def scratch_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the fixed copies' temporary folders go, so a test can see them all gone."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    return scratch


def test_a_batch_read_ahead_copies_in_only_what_it_accepts_in_order(
    paths: Paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch reads the next files on a worker while it copies one in: a file refused on
    reading (pre-flight, a strict placement) is never copied in, every fixed copy's
    temporary folder goes, and each result stays with its file."""
    scratch = scratch_tempdir(tmp_path, monkeypatch)
    fixed = [make_pdf(tmp_path / f"old{i}.pdf", version="1.4") for i in range(4)]
    hidden = make_page(tmp_path / "hidden.pdf", Things(text=[Rect(500, 50, 546, 95)]))
    locked = make_encrypted(tmp_path / "locked.pdf")
    options, strict = IntakeOptions(doc_type="3"), IntakeOptions("3", strict_placement=True)
    items = [(fixed[0], options), (hidden, strict), (fixed[1], options)]
    items += [(locked, options), (fixed[2], options), (fixed[3], options)]
    box = Outbox.open(paths)
    try:
        results = queue_files(box, paths, items)
        kinds = [Accepted, StampCoversContent, Accepted, PdfRejected, Accepted, Accepted]
        assert [type(r) for r in results] == kinds
        accepted = [r for r in results if isinstance(r, Accepted)]
        assert [r.request.file_name for r in accepted] == [f"old{i}.pdf" for i in range(4)]
        assert all(r.applied for r in accepted)
        stored = {p.name for p in paths.docs_dir.glob("*.pdf")}
        assert stored == {f"{r.request.doc_sha256}.pdf" for r in accepted}
    finally:
        box.close()
    assert list(scratch.iterdir()) == []


def test_a_full_disk_mid_batch_queues_nothing_and_frees_the_files_read_ahead(
    paths: Paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = scratch_tempdir(tmp_path, monkeypatch)
    files = [make_pdf(tmp_path / f"old{i}.pdf", version="1.4") for i in range(5)]
    real_put, copied = DocumentStore.put, []

    def put_until_full(store: DocumentStore, path: Path, *, sync_dir: bool = True) -> object:
        if len(copied) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        copied.append(path)
        return real_put(store, path, sync_dir=sync_dir)

    monkeypatch.setattr(DocumentStore, "put", put_until_full)
    box = Outbox.open(paths)
    try:
        with pytest.raises(OSError, match="No space"):
            queue_files(box, paths, [(f, IntakeOptions(doc_type="3")) for f in files])
        assert box.requests() == []
    finally:
        box.close()
    assert list(scratch.iterdir()) == []
    assert not [t for t in threading.enumerate() if t.name.startswith("meterai-look")]
    assert multiprocessing.active_children() == []  # the reading workers are gone too


def test_a_batch_copies_files_in_side_by_side_and_commits_after_the_last(
    paths: Paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each copy waits mostly for its own fsync, so a batch makes several at once. Before:
    one after the other (the first copy waited here for a second that never came). The
    requests are still committed only once every copy is in, in the batch's order."""
    files = [make_pdf(tmp_path / f"d{i}.pdf", pages=i % 2 + 1) for i in range(6)]
    real_put, second_started = DocumentStore.put, threading.Event()
    in_flight: list[Path] = []
    most: list[int] = [0]
    lock = threading.Lock()

    def put_beside_another(store: DocumentStore, path: Path, *, sync_dir: bool = True) -> object:
        with lock:
            in_flight.append(path)
            most[0] = max(most[0], len(in_flight))
            if len(in_flight) >= 2:
                second_started.set()
        second_started.wait(timeout=10)
        try:
            return real_put(store, path, sync_dir=sync_dir)
        finally:
            with lock:
                in_flight.remove(path)

    monkeypatch.setattr(DocumentStore, "put", put_beside_another)
    box = Outbox.open(paths)
    try:
        results = queue_files(box, paths, [(f, IntakeOptions(doc_type="3")) for f in files])
        assert [r.request.file_name for r in results if isinstance(r, Accepted)] == [
            f.name for f in files
        ]
        assert [r.file_name for r in box.requests()] == [f.name for f in files]
    finally:
        box.close()
    assert most[0] >= 2
    assert not [t for t in threading.enumerate() if t.name.startswith("meterai-store")]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this OS")
def test_a_fifo_is_refused_at_once_without_a_writer(paths: Paths, tmp_path: Path) -> None:
    """Before: pre-flight opened the pipe and waited for a writer that never came.

    No writer ever comes here, so a queue that waits for one never ends: that it ends,
    refused, is the proof. (It also had to end within 1 s, which a loaded machine
    crossed with opening the outbox alone: 1.04 s at load 9.)
    """
    fifo = tmp_path / "x.pdf"
    os.mkfifo(fifo)
    outcome: list[object] = []

    def queue() -> None:
        box = Outbox.open(paths)
        try:
            outcome.extend(queue_files(box, paths, [(fifo, IntakeOptions(doc_type="3"))]))
        finally:
            box.close()

    worker = threading.Thread(target=queue, daemon=True)
    worker.start()
    worker.join(HANG)
    assert not worker.is_alive(), "queueing a FIFO blocked"
    (refusal,) = outcome
    assert isinstance(refusal, NotARegularFile)
    box = Outbox.open(paths)
    try:
        assert box.requests() == []
    finally:
        box.close()


def test_prepare_does_the_file_work_and_commit_the_one_transaction(
    paths: Paths, tmp_path: Path
) -> None:
    """The two halves the GUI runs apart: ``prepare`` takes no outbox (the worker pool),
    stores the fixed copy, and ``commit`` queues it; a second commit of the same bytes
    is refused in its own transaction and leaves one request."""
    source = make_pdf(tmp_path / "old.pdf", version="1.4")  # normalised to 1.7 on prepare
    options = IntakeOptions(doc_type="3")
    box = Outbox.open(paths)
    try:
        prepared = prepare(paths, source, options)

        assert (paths.docs_dir / f"{prepared.sha256}.pdf").is_file()
        assert prepared.applied and prepared.original_sha256 != prepared.sha256
        assert box.count() == 0  # nothing is accepted before the commit
        accepted = commit(box, prepared, options)
        assert (accepted.request.state, accepted.request.doc_sha256) == (
            State.QUEUED,
            prepared.sha256,
        )
        with pytest.raises(DuplicateDocument):
            commit(box, prepared, options)
        assert [r.id for r in box.requests()] == [accepted.request.id]
        assert [j.to_state for j in box.journal(accepted.request.id)] == ["queued"]
    finally:
        box.close()


def test_a_rejection_carries_its_blocking_findings(paths: Paths, tmp_path: Path) -> None:
    locked = make_encrypted(tmp_path / "locked.pdf")
    with pytest.raises(PdfRejected) as refused:
        prepare(paths, locked, IntakeOptions(doc_type="3"))
    findings = refused.value.findings
    assert findings and all(f.severity.name == "ERROR" for f in findings)
    assert refused.value.params["reason"] == Message.joined([f.message for f in findings], "; ")


def test_an_sscasn_document_not_on_a4_is_queued_fitted_to_a4(
    paths: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 18 item 5: a Letter page for SSCASN was only warned about; now a copy is
    fitted to A4, and the stamp goes on the page as fitted. ``--no-fix`` keeps the
    warning and the page as it was."""
    letter = make_pdf(tmp_path / "letter.pdf", size=(612.0, 792.0))
    code, _out, err = run_in_process(paths, "add", str(letter), "--type", "3", "--target", "sscasn")
    assert code == 0, err + capsys.readouterr().err
    assert "fitted the pages to A4, scaled and centred" in err
    assert "not A4" not in err
    box = Outbox.open(paths)
    (row,) = box.requests()
    box.close()
    stored = DocumentStore(paths.data_dir).path_for(row.doc_sha256)
    geometry = page_geometry(stored, 0)
    assert preflight(stored, "sscasn").findings == ()
    assert Rect(*row.rect) == default_placement(geometry).rect

    kept = make_pdf(tmp_path / "kept.pdf", size=(612.0, 792.0))
    code, _out, err = run_in_process(
        paths, "add", str(kept), "--type", "3", "--target", "sscasn", "--no-fix"
    )
    assert code == 0
    assert "is 216 × 279 mm, not A4" in err

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from meterai.errors import NotARegularFile, PdfRejected
from meterai.intake import Accepted, IntakeOptions, queue_files
from meterai.outbox import Outbox, State
from meterai.settings import Paths
from tests.support.pdfs import make_encrypted, make_pdf


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


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this OS")
def test_a_fifo_is_refused_within_a_second_without_a_writer(paths: Paths, tmp_path: Path) -> None:
    """Before: pre-flight opened the pipe and waited for a writer that never came."""
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
    started = time.monotonic()
    worker.start()
    worker.join(5.0)
    assert not worker.is_alive(), "queueing a FIFO blocked"
    (refusal,) = outcome
    assert isinstance(refusal, NotARegularFile)
    assert time.monotonic() - started < 1.0
    box = Outbox.open(paths)
    try:
        assert box.requests() == []
    finally:
        box.close()

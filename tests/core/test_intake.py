from __future__ import annotations

from pathlib import Path

from meterai.errors import PdfRejected
from meterai.intake import Accepted, IntakeOptions, queue_files
from meterai.outbox import Outbox, State
from meterai.settings import Paths
from tests.pdfs import make_encrypted, make_pdf


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

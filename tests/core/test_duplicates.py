"""Issue 13: a document is known by the sha256 of the bytes the user gave (before any fix).

No provider is involved: the refusal happens before anything is queued, so nothing
can be bought. The purchase counts are checked against the sandbox ledger in
``tests/core/sync/test_paid_serials.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meterai.cli.main import run
from meterai.intake import DuplicateDocument, IntakeOptions, queue_file, queue_files
from meterai.outbox import Outbox
from meterai.settings import Paths
from tests.support.pdfs import make_pdf


def _cli(paths: Paths, *args: str) -> int:
    return run(["--data-dir", str(paths.data_dir), "--lang", "en", *args])


def _count(paths: Paths) -> int:
    box = Outbox.open(paths)
    try:
        return box.count()
    finally:
        box.close()


def test_a_fixed_document_is_recognised_by_the_file_the_user_gave(
    paths: Paths, tmp_path: Path
) -> None:
    """The store names the fixed copy; the original's hash is what a second add sees."""
    old = make_pdf(tmp_path / "old.pdf", version="1.4")
    box = Outbox.open(paths)
    try:
        first = queue_file(box, paths, old, IntakeOptions("3"))
        assert first.applied, "normalised to 1.7 on the way in"
        assert first.request.original_sha256 != first.request.doc_sha256
        with pytest.raises(DuplicateDocument) as info:
            queue_file(box, paths, old, IntakeOptions("3"))
        assert info.value.existing.id == first.request.id
        again = queue_file(box, paths, old, IntakeOptions("3", again=True))
        assert again.request.id == first.request.id + 1
    finally:
        box.close()


def test_one_duplicate_in_a_group_refuses_that_file_only(paths: Paths, tmp_path: Path) -> None:
    a, b = make_pdf(tmp_path / "a.pdf"), make_pdf(tmp_path / "b.pdf")
    box = Outbox.open(paths)
    try:
        results = queue_files(
            box, paths, [(a, IntakeOptions("3")), (a, IntakeOptions("3")), (b, IntakeOptions("3"))]
        )
        assert [type(r).__name__ for r in results] == ["Accepted", "DuplicateDocument", "Accepted"]
        assert box.count() == 2
    finally:
        box.close()


def test_a_batch_names_each_duplicate_line_and_queues_nothing(
    paths: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_pdf(tmp_path / "a.pdf")
    make_pdf(tmp_path / "b.pdf")
    assert _cli(paths, "add", "--type", "3", str(tmp_path / "b.pdf")) == 0
    batch = tmp_path / "batch.csv"
    batch.write_text("file,type\na.pdf,3\na.pdf,3\nb.pdf,3\n")

    assert _cli(paths, "add", "--batch", str(batch)) == 3
    err = capsys.readouterr().err
    assert "line 3: the same document as line 2" in err, err
    assert "line 4: b.pdf is already in the outbox as request 1" in err, err
    assert "\nline 2:" not in err
    assert _count(paths) == 1

    assert _cli(paths, "add", "--batch", str(batch), "--again") == 0
    assert _count(paths) == 4

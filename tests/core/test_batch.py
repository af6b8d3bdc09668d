"""``meterai add --batch``: a CSV of documents, checked whole before any is queued."""

from __future__ import annotations

from pathlib import Path

import pytest

from meterai.outbox import Outbox
from meterai.settings import Paths
from tests.support.cli import run_in_process
from tests.support.pdfs import make_garbage, make_pdf


def test_a_batch_with_one_bad_line_queues_nothing_and_names_the_lines(
    tmp_path: Path, paths: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    make_pdf(tmp_path / "a.pdf")
    make_pdf(tmp_path / "b.pdf", pages=2)
    make_garbage(tmp_path / "c.pdf")
    batch = tmp_path / "batch.csv"
    batch.write_text(
        "file,type,page,rect,nodoc,tgldoc\n"
        "a.pdf,3,last,,A-1,2026-11-24\n"
        "b.pdf,99,1,,B-1,\n"
        "c.pdf,3,,,C-1,\n"
        "b.pdf,2,2,900,40,980,120,,\n"
    )
    code, _out, _err = run_in_process(paths, "add", "--batch", str(batch))
    assert code == 3
    err = capsys.readouterr().err  # errors leave through main's boundary, on stderr
    assert "line 3:" in err and "“99”" in err
    assert "line 4:" in err
    assert "line 5:" in err
    box = Outbox.open(paths)
    assert box.count() == 0
    box.close()

    batch.write_text(
        'file,type,page,rect,nodoc\na.pdf,3,last,,A-1\nb.pdf,2,2,"400,40,480,120",B-2\n'
    )
    code, _out, err = run_in_process(paths, "add", "--batch", str(batch))
    assert code == 0, err
    box = Outbox.open(paths)
    rows = box.requests()
    box.close()
    assert [(r.file_name, r.doc_type, r.page_index, r.nodoc) for r in rows] == [
        ("a.pdf", "3", 0, "A-1"),
        ("b.pdf", "2", 1, "B-2"),
    ]

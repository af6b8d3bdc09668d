"""Which log lines belong to a request, across rotated files, redacted again."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from meterai.evidence.facts import log_files, markers, records, request_log_lines
from meterai.intake import IntakeOptions, queue_file
from meterai.outbox import Outbox, RequestRow
from meterai.settings import Paths
from tests.support.pdfs import make_pdf


def a_request(paths: Paths, tmp_path: Path) -> RequestRow:
    box = Outbox.open(paths)
    try:
        pdf = make_pdf(tmp_path / "a.pdf")
        return queue_file(box, paths, pdf, IntakeOptions(doc_type="3")).request
    finally:
        box.close()


def test_request_1_does_not_take_the_lines_of_request_12(paths: Paths, tmp_path: Path) -> None:
    row = replace(a_request(paths, tmp_path), id=1, sn="ZX8Q4T0P2M6A1C9D5E3F7B")
    wanted = markers(row)
    assert wanted.search("request 1: queued -> uploaded")
    assert wanted.search("serial ZX8Q4T0P2M6A1C9D5E3F7B adopted")
    assert not wanted.search("request 12: queued -> uploaded")
    assert not wanted.search("step of request 10 failed")


def test_a_traceback_stays_with_its_record() -> None:
    lines = [
        "2026-12-01 10:00:00,000 ERROR x: step of request 3 failed",
        "Traceback (most recent call last):",
        "ValueError: boom",
        "2026-12-01 10:00:01,000 INFO x: request 4: queued -> uploaded",
    ]
    assert [len(r) for r in records(lines)] == [3, 1]


def test_lines_come_from_every_rotated_file_oldest_first_and_redacted(
    paths: Paths, tmp_path: Path
) -> None:
    row = a_request(paths, tmp_path)
    logs = paths.logs_dir
    logs.mkdir(parents=True)
    stamp = "2026-12-01 10:00:0{n},000 INFO meterai: request {id}: {what}"
    (logs / "meterai.log.2").write_text(stamp.format(n=1, id=row.id, what="oldest") + "\n")
    (logs / "meterai.log.1").write_text(
        stamp.format(n=2, id=row.id, what="token=abc123secret")
        + "\n"
        + stamp.format(n=3, id=row.id + 1, what="another request")
        + "\n"
    )
    (logs / "meterai.log").write_text(stamp.format(n=4, id=row.id, what="newest") + "\n")
    assert [p.name for p in log_files(logs)] == ["meterai.log.2", "meterai.log.1", "meterai.log"]
    lines = list(request_log_lines(logs, row))
    assert [line.rsplit(": ", 1)[1] for line in lines] == ["oldest", "token=[REDACTED]", "newest"]


def test_no_log_folder_gives_no_lines(paths: Paths, tmp_path: Path) -> None:
    assert list(request_log_lines(paths.logs_dir, a_request(paths, tmp_path))) == []

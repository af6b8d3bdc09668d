"""The readiness rules, with a hand-driven clock: a file still being written is never ready."""

from __future__ import annotations

from pathlib import Path

from meterai.kiosk.settle import Settler, SettleRules, looks_complete
from tests.support.pdfs import make_pdf

RULES = SettleRules(settle=2.0, grace=0.3, stale=60.0)
P = Path("/inbox/budi/a.pdf")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _settler() -> tuple[Settler, Clock]:
    clock = Clock()
    return Settler(RULES, clock), clock


def test_a_quiet_file_is_ready_after_the_settle_interval() -> None:
    s, clock = _settler()
    s.observe(P, (10, 1))
    clock.now = 1.9
    assert s.ready() == []
    clock.now = 2.0
    assert s.ready() == [P]


def test_a_change_restarts_the_wait() -> None:
    s, clock = _settler()
    s.observe(P, (10, 1))
    clock.now = 1.5
    s.observe(P, (20, 2))
    clock.now = 3.0
    assert s.ready() == []
    clock.now = 3.5
    assert s.ready() == [P]


def test_an_open_writer_that_stalls_is_waited_for_until_it_closes() -> None:
    s, clock = _settler()
    s.written(P, (4096, 1))
    clock.now = 30.0  # far past the settle interval: still open for writing
    assert s.ready() == []
    s.closed(P, (8192, 2))
    clock.now = 30.2
    assert s.ready() == []
    clock.now = 30.3
    assert s.ready() == [P]


def test_a_missed_close_is_only_overridden_by_the_stale_limit() -> None:
    s, clock = _settler()
    s.written(P, (4096, 1))
    clock.now = 59.9
    assert s.ready() == []
    clock.now = 60.0
    assert s.ready() == [P]


def test_writing_after_a_close_makes_it_unready_again() -> None:
    s, clock = _settler()
    s.closed(P, (10, 1))
    s.written(P, (20, 2))
    clock.now = 1.0
    assert s.ready() == []


def test_a_vanished_file_is_forgotten() -> None:
    s, clock = _settler()
    s.observe(P, (10, 1))
    s.observe(P, None)
    clock.now = 10.0
    assert s.ready() == [] and P not in s


def test_a_quiet_file_that_does_not_look_complete_waits_for_its_close() -> None:
    """Known only by its stat (no event showed a writer): quiet may be a starved writer."""
    clock = Clock()
    s = Settler(RULES, clock, complete=lambda _path: False)
    s.observe(P, (4096, 1))
    clock.now = 10.0
    assert s.ready() == []
    s.closed(P, (8192, 2))
    clock.now = 10.3
    assert s.ready() == [P]


def test_a_quiet_file_that_never_looks_complete_is_taken_at_the_stale_limit() -> None:
    clock = Clock()
    s = Settler(RULES, clock, complete=lambda _path: False)
    s.observe(P, (4096, 1))
    clock.now = 59.9
    assert s.ready() == []
    clock.now = 60.0
    assert s.ready() == [P]


def test_a_pdf_looks_complete_only_once_its_end_is_written(tmp_path: Path) -> None:
    whole = make_pdf(tmp_path / "whole.pdf").read_bytes()
    cases = {
        "whole.pdf": (whole, True),
        "trailing-newlines.pdf": (whole + b"\r\n" * 100, True),
        "half.pdf": (whole[: len(whole) // 2], False),
        "all-but-the-end.pdf": (whole[:-8], False),
        "empty.pdf": (b"", False),
        "not-a-pdf.pdf": (b"PK\x03\x04 a zip file, refused at once rather than waited for", True),
    }
    for name, (data, expected) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        assert looks_complete(path) is expected, name
    assert looks_complete(tmp_path / "gone.pdf") is False

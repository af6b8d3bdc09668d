"""What every command gets: the outbox opened only when needed, output that a closed pipe
cannot turn into a traceback, and JSON Lines sent at once."""

from __future__ import annotations

import io
import json

from meterai.cli.context import CliContext
from meterai.outbox import Outbox
from meterai.settings import Paths


class ClosedPipe(io.StringIO):
    """Standard output whose reader went away (``meterai status | head -1``)."""

    def __init__(self) -> None:
        super().__init__()
        self.tries = 0

    def write(self, text: str) -> int:
        self.tries += 1
        raise BrokenPipeError


class Counting(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.flushes = 0

    def flush(self) -> None:
        self.flushes += 1


def test_a_command_that_needs_no_outbox_creates_none(paths: Paths) -> None:
    ctx = CliContext(paths, out=io.StringIO(), err=io.StringIO())
    assert ctx.settings.active_profile == "sandbox"
    ctx.close()
    assert not paths.database.exists()


def test_the_outbox_is_opened_once_and_closed_with_the_context(paths: Paths) -> None:
    ctx = CliContext(paths, out=io.StringIO(), err=io.StringIO())
    first = ctx.outbox()
    assert ctx.outbox() is first and ctx.reader() is first
    ctx.close()
    assert paths.database.exists()
    reopened = Outbox.open(paths)  # closed means released: another connection opens it
    reopened.close()


def test_a_closed_pipe_ends_the_output_quietly_and_only_once(paths: Paths) -> None:
    pipe = ClosedPipe()
    ctx = CliContext(paths, out=pipe, err=io.StringIO())
    ctx.print("1 queued a.pdf")
    ctx.print("2 queued b.pdf")
    ctx.emit({"id": 3})
    assert ctx.output_closed and pipe.tries == 1


def test_json_lines_are_one_value_per_line_flushed_at_once(paths: Paths) -> None:
    out = Counting()
    ctx = CliContext(paths, out=out, err=io.StringIO())
    ctx.emit({"file": "surat perjanjian.pdf", "warnings": ["stamp_covers_text"]})
    ctx.emit({"nama": "Sertifikat — Ā"})
    lines = out.getvalue().splitlines()
    assert [json.loads(line) for line in lines][1] == {"nama": "Sertifikat — Ā"}
    assert "Ā" in lines[1], "not escaped: a reader sees the names as typed"
    assert out.flushes == 2


def test_warnings_go_to_standard_error(paths: Paths) -> None:
    out, err = io.StringIO(), io.StringIO()
    CliContext(paths, out=out, err=err).warn("Low balance")
    assert (out.getvalue(), err.getvalue()) == ("", "Low balance\n")

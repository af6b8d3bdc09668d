"""Issue 3's acceptance through the installed ``meterai`` script, as a kiosk or a script runs it.

Every call is a real process with a real data dir, so exit codes, stdout/stderr and
the default language are what a caller sees, not what an in-process test would.
"""

from __future__ import annotations

from pathlib import Path

from meterai.cli.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_PENDING
from meterai.outbox import Outbox
from meterai.outbox.rows import NewRequest
from meterai.settings import resolve_paths
from tests.support.cli import (
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
    meterai,
    queue_good,
    status_json,
    with_reader_gone,
)
from tests.support.pdfs import make_pdf


def test_an_english_locale_gives_english(data: Path, home: Path, pdfs: dict[str, Path]) -> None:
    result = meterai(
        "--data-dir", data, "add", pdfs["garbage"], "--type", "3", home=home, lang_env="en_US.UTF-8"
    )
    assert result.code == EXIT_REJECTED
    assert "not a PDF" in result.err


def test_a_usage_error_exits_2_without_a_traceback(
    data: Path, home: Path, pdfs: dict[str, Path]
) -> None:
    assert meterai("--data-dir", data, "add", pdfs["good"], home=home).code == EXIT_USAGE
    bad_page = meterai(
        "--data-dir", data, "add", pdfs["good"], "--type", "3", "--page", "x", home=home
    )
    assert bad_page.code == EXIT_USAGE
    assert "--page" in bad_page.err


# --- exit codes in --help; a reader that stops early (issue 18 item 7) -------------------


def test_help_lists_every_exit_code_in_both_languages(data: Path, home: Path) -> None:
    english = meterai("--lang", "en", "--help", home=home)
    indonesian = meterai("--help", home=home)  # Indonesian: the default language
    assert english.code == indonesian.code == EXIT_OK
    for code in (EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REJECTED, EXIT_PENDING, EXIT_INTERRUPTED):
        assert f"\n  {code} " in english.out, code
        assert f"\n  {code} " in indonesian.out, code
    assert "Exit status:" in english.out and "sync --once" in english.out
    assert "Kode keluar:" in indonesian.out


def test_a_reader_that_stops_early_ends_quietly(
    data: Path, home: Path, pdfs: dict[str, Path]
) -> None:
    """Before: ``meterai status --json | head -1`` ended in a BrokenPipeError traceback."""
    queue_good(data, home, pdfs["good"])
    for args in (("status", "--json"), ("status",), ("types", "--json"), ("--help",)):
        gone = with_reader_gone(home, "--data-dir", data, *args)
        assert (gone.code, gone.err) == (EXIT_OK, ""), args


def test_add_json_into_a_closed_pipe_still_queues_every_file(
    data: Path, home: Path, tmp_path: Path
) -> None:
    """The work asked for is done whoever reads the output: no file is half-queued."""
    files = [make_pdf(tmp_path / f"doc-{i}.pdf") for i in range(3)]
    gone = with_reader_gone(home, "--data-dir", data, "add", "--json", "--type", "3", *files)
    assert (gone.code, gone.err) == (EXIT_OK, "")
    assert [row["file"] for row in status_json(data, home)] == [f.name for f in files]


def test_a_big_status_json_into_a_closed_pipe_ends_quietly(data: Path, home: Path) -> None:
    """More than a pipe's buffer (64 KiB): the error comes mid-listing, not at exit."""
    paths = resolve_paths(data)
    box = Outbox.open(paths)
    try:
        sha = "0" * 64
        box.add_document(sha, size=1, page_count=1, pdf_version="1.7", original_name="x.pdf")
        for i in range(600):
            box.enqueue(NewRequest(sha, f"doc-{i}.pdf", "3", 0, (1.0, 2.0, 3.0, 4.0)))
    finally:
        box.close()
    gone = with_reader_gone(home, "--data-dir", data, "status", "--json")
    assert (gone.code, gone.err) == (EXIT_OK, "")

"""``meterai kiosk`` refuses a folder layout the GUI's kiosk dialog refuses, before it starts.

Real processes, as in ``test_cli``: a check that failed to stop the kiosk would leave
it running, and the call would time out instead of exiting with the usage code.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from meterai.messages import Message
from tests.support.cli import EXIT_USAGE, meterai
from tests.support.pdfs import make_pdf


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A data dir whose outbox already holds a request: a refused start must leave it be."""
    folder = tmp_path / "data"
    pdf = make_pdf(tmp_path / "queued.pdf")
    added = meterai("--data-dir", folder, "add", pdf, "--type", "3", home=tmp_path / "home")
    assert added.code == 0, added.err
    return folder


def snapshot(data: Path) -> dict[str, str]:
    """Every file in the data dir but the log, which any logged command appends to."""
    return {
        str(p.relative_to(data)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(data.rglob("*"))
        if p.is_file() and "logs" not in p.relative_to(data).parts
    }


def refused_kiosk(tmp_path: Path, data: Path, inbox: Path, outbox: Path) -> str:
    """Run the kiosk with this layout; it must exit 2 at once and change nothing; its stderr."""
    before = snapshot(data)
    result = meterai(
        "--data-dir", data, "kiosk", "--inbox", inbox, "--outbox", outbox, home=tmp_path / "home"
    )
    assert result.code == EXIT_USAGE, (result.out, result.err)
    assert result.out == ""  # not "Watching ..."
    assert snapshot(data) == before
    assert not (data / "kiosk.sqlite3").exists()
    assert not (tmp_path / "rejected").exists()
    return result.err


INSIDE = (
    "The outbox must not be inside the inbox, nor the inbox inside the "
    "outbox: the kiosk would take its own results as new documents."
)


def _in_indonesian(msgid: str, **params: str) -> str:
    """The CLI speaks Indonesian by default; the test names the message by its id."""
    return Message(msgid, params).text("id")


def test_the_same_folder_as_inbox_and_outbox_is_refused(tmp_path: Path, data: Path) -> None:
    folder = tmp_path / "kiosk"
    err = refused_kiosk(tmp_path, data, folder, folder)
    assert _in_indonesian("The inbox and the outbox must be two different folders.") in err
    assert not folder.exists()


def test_an_outbox_inside_the_inbox_is_refused(tmp_path: Path, data: Path) -> None:
    inbox = tmp_path / "inbox"
    err = refused_kiosk(tmp_path, data, inbox, inbox / "out")
    assert _in_indonesian(INSIDE) in err
    assert not inbox.exists()


def test_an_inbox_that_is_a_file_is_named(tmp_path: Path, data: Path) -> None:
    inbox = tmp_path / "inbox.txt"
    inbox.write_text("not a folder")
    err = refused_kiosk(tmp_path, data, inbox, tmp_path / "out")
    assert _in_indonesian("{path} is a file, not a folder.", path=str(inbox)) in err
    assert not (tmp_path / "out").exists()
    assert inbox.read_text() == "not a folder"


def test_the_refusal_speaks_english_when_asked(tmp_path: Path, data: Path) -> None:
    folder = tmp_path / "kiosk"
    result = meterai(
        "--data-dir", data, "--lang", "en", "kiosk", "--inbox", folder, "--outbox", folder,
        home=tmp_path / "home",
    )  # fmt: skip
    assert result.code == EXIT_USAGE
    assert "The inbox and the outbox must be two different folders." in result.err

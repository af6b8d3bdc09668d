"""The watched inbox against the real sandbox: slow writers, duplicates, bad folders, outages."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from meterai.kiosk import Kiosk, KioskConfig
from meterai.kiosk.taking import Duplicate, FolderInvalid, Rejected, Taken
from meterai.outbox import State
from meterai.settings import Paths, load_settings
from meterai.sync.runner import SyncRunner
from tests.support.kiosk import Running, pdf_bytes, sha256, slow_write
from tests.support.pdfs import make_garbage
from tests.support.sandbox import Admin

CUSTOMERS = ("budi", "siti", "notaris-agus", "sekolah-1")


def test_slow_writers_never_get_a_partial_file_taken(
    running_kiosk: Callable[..., Running], admin: Admin, tmp_path: Path
) -> None:
    """100 files copied in 4 KB chunks by four writers; every tenth pauses longer than the
    settle interval mid-file (the close event, not the quiet, must decide)."""
    kiosk = running_kiosk(concurrency=8)
    sources = tmp_path / "sources"
    sources.mkdir()
    expected: dict[tuple[str, str], str] = {}
    work: dict[str, list[tuple[str, bytes]]] = {c: [] for c in CUSTOMERS}
    for i in range(100):
        customer = CUSTOMERS[i % len(CUSTOMERS)]
        data = pdf_bytes(sources, f"doc-{i:03}")
        work[customer].append((f"doc-{i:03}.pdf", data))
        expected[(customer, f"doc-{i:03}.pdf")] = sha256(data)

    def writer(customer: str) -> None:
        for n, (name, data) in enumerate(work[customer]):
            pause = 0.7 if n % 10 == 3 else 0.005
            slow_write(kiosk.inbox / customer / name, data, pause=pause)

    threads = [threading.Thread(target=writer, args=(c,)) for c in CUSTOMERS]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = kiosk.wait_done(100, timeout=90)

    assert len(rows) == 100
    got = {(r.customer or "", r.file_name): r.doc_sha256 for r in rows}
    assert got == expected  # no partial file, nothing mixed up between customers
    assert len(admin.serials()) == 100
    for customer in CUSTOMERS:
        stamped = sorted(p.name for p in (kiosk.outbox / customer).glob("*-emeterai.pdf"))
        assert stamped == sorted(n.replace(".pdf", "-emeterai.pdf") for n, _d in work[customer])
        assert not list((kiosk.inbox / customer).iterdir())
    assert not [e for e in kiosk.events if not isinstance(e, Taken)]


def test_the_same_bytes_dropped_twice_are_bought_once(
    running_kiosk: Callable[..., Running], admin: Admin, tmp_path: Path
) -> None:
    kiosk = running_kiosk()
    docs = [pdf_bytes(tmp_path, f"dup-{i}") for i in range(4)]
    for i, data in enumerate(docs):
        slow_write(kiosk.inbox / "budi" / f"a-{i}.pdf", data)
    # Two copies at once, in two customers' folders: decided one after the other.
    slow_write(kiosk.inbox / "siti" / "same-as-a0.pdf", docs[0])
    kiosk.wait_done(4)
    # And again after the first ones are done, under other names.
    for i, data in enumerate(docs):
        slow_write(kiosk.inbox / "budi" / f"again-{i}.pdf", data)
    kiosk.wait_until(lambda: sum(isinstance(e, Duplicate) for e in kiosk.events) == 5)

    assert len(kiosk.rows()) == 4
    assert len(admin.serials()) == 4
    notes = sorted(p.relative_to(kiosk.rejected) for p in kiosk.rejected.rglob("*.txt"))
    again = [Path("budi", f"again-{i}.pdf.txt") for i in range(4)]
    # Whichever of the two simultaneous copies came first was taken; the other is the duplicate.
    first_pair = {Path("budi", "a-0.pdf.txt"), Path("siti", "same-as-a0.pdf.txt")}
    assert set(again) <= set(notes) and len(set(notes) - set(again)) == 1
    assert set(notes) - set(again) <= first_pair
    text = (kiosk.rejected / again[0]).read_text("utf-8")
    assert "Tidak dibubuhi lagi" in text and "Not stamped again" in text
    assert not list((kiosk.inbox / "budi").iterdir())


def test_a_writer_stalled_before_its_folder_was_watched_is_not_taken_half_copied(
    running_kiosk: Callable[..., Running], admin: Admin, tmp_path: Path
) -> None:
    """Escaped as a flaky run of the test above on a loaded machine: the first file of a
    new customer folder is written before the folder is watched, so no event says it is
    open; a writer starved for longer than the settle interval had its first half taken,
    "repaired", paid for and stuck, and the whole copy later bought again."""
    kiosk = running_kiosk()
    data = pdf_bytes(tmp_path, "stalled")
    slow_write(kiosk.inbox / "pt-baru" / "kontrak.pdf", data, chunk=len(data) // 2 + 1, pause=1.5)
    kiosk.wait_until(lambda: bool(kiosk.events))
    assert [type(e) for e in kiosk.events] == [Taken]
    (row,) = kiosk.rows()
    assert row.doc_sha256 == sha256(data)  # the whole file, as dropped
    kiosk.wait_done(1)
    assert len(admin.serials()) == 1


def test_a_folder_with_invalid_settings_queues_nothing_and_says_why(
    running_kiosk: Callable[..., Running], admin: Admin, tmp_path: Path
) -> None:
    kiosk = running_kiosk()
    folder = kiosk.inbox / "pt-maju"
    folder.mkdir(parents=True)
    (folder / "kiosk.json").write_text('{"type": "3", "pgae": 2}', "utf-8")
    slow_write(folder / "kontrak.pdf", pdf_bytes(tmp_path, "kontrak"))
    note = kiosk.rejected / "pt-maju" / "kiosk.json.txt"
    # The event, not the note: the note is written first, so it can exist before the event.
    kiosk.wait_until(lambda: any(isinstance(e, FolderInvalid) for e in kiosk.events))
    text = note.read_text("utf-8")
    assert "pgae" in text
    assert "tidak valid" in text and "not valid" in text  # Indonesian, then English
    assert [type(e) for e in kiosk.events] == [FolderInvalid]
    kiosk.wait_until(lambda: True)
    assert kiosk.rows() == [] and (folder / "kontrak.pdf").exists()

    # Fixed by the operator: the waiting file is taken and the note goes away.
    (folder / "kiosk.json").write_text('{"type": "2", "page": 1, "rect": [400, 40, 480, 120]}')
    (row,) = kiosk.wait_done(1)
    assert (row.doc_type, row.page_index, row.rect) == ("2", 0, (400.0, 40.0, 480.0, 120.0))
    assert not note.exists()


def test_an_unknown_type_in_the_folder_settings_is_named(
    running_kiosk: Callable[..., Running], tmp_path: Path
) -> None:
    kiosk = running_kiosk(doc_type=None)
    (kiosk.inbox / "a").mkdir(parents=True)
    (kiosk.inbox / "a" / "kiosk.json").write_text('{"type": "99"}')
    (kiosk.inbox / "b").mkdir(parents=True)  # no settings and no --type
    slow_write(kiosk.inbox / "a" / "x.pdf", pdf_bytes(tmp_path, "x"))
    slow_write(kiosk.inbox / "b" / "y.pdf", pdf_bytes(tmp_path, "y"))
    kiosk.wait_until(lambda: sum(isinstance(e, FolderInvalid) for e in kiosk.events) == 2)
    assert "“99”" in (kiosk.rejected / "a" / "kiosk.json.txt").read_text("utf-8")
    assert "--type" in (kiosk.rejected / "b" / "kiosk.json.txt").read_text("utf-8")
    assert kiosk.rows() == []


def test_a_bad_file_moves_to_rejected_with_the_reason_in_both_languages(
    running_kiosk: Callable[..., Running], admin: Admin, tmp_path: Path
) -> None:
    kiosk = running_kiosk()
    garbage = make_garbage(tmp_path / "scan.pdf").read_bytes()
    slow_write(kiosk.inbox / "budi" / "scan.pdf", garbage)
    kiosk.wait_until(lambda: any(isinstance(e, Rejected) for e in kiosk.events))
    assert (kiosk.rejected / "budi" / "scan.pdf").read_bytes() == garbage
    text = (kiosk.rejected / "budi" / "scan.pdf.txt").read_text("utf-8")
    indonesian, english = text.split("\n\n")
    assert "scan.pdf tidak dibubuhi" in indonesian
    assert "scan.pdf was not stamped" in english
    assert kiosk.rows() == [] and admin.serials() == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this OS")
def test_a_fifo_dropped_in_a_customer_folder_is_refused_and_never_blocks_the_kiosk(
    running_kiosk: Callable[..., Running], admin: Admin, tmp_path: Path
) -> None:
    """Before: looks_complete() opened the pipe and blocked the kiosk's thread for good."""
    kiosk = running_kiosk()
    (kiosk.inbox / "budi").mkdir(parents=True, exist_ok=True)
    os.mkfifo(kiosk.inbox / "budi" / "pipe.pdf")
    good = pdf_bytes(tmp_path, "after-the-pipe")
    slow_write(kiosk.inbox / "budi" / "good.pdf", good)
    kiosk.wait_until(lambda: any(isinstance(e, Rejected) for e in kiosk.events), 20)
    (rejected,) = [e for e in kiosk.events if isinstance(e, Rejected)]
    assert rejected.file == "pipe.pdf"
    assert stat.S_ISFIFO((kiosk.rejected / "budi" / "pipe.pdf").lstat().st_mode)
    indonesian, english = (
        (kiosk.rejected / "budi" / "pipe.pdf.txt").read_text("utf-8").split("\n\n")
    )
    assert "pipe.pdf is a named pipe (FIFO), not a file" in english
    assert "pipa bernama (FIFO)" in indonesian
    (row,) = kiosk.wait_done(1)
    assert row.doc_sha256 == sha256(good)
    assert not (kiosk.inbox / "budi" / "pipe.pdf").exists()


def test_an_outage_mid_run_ends_with_every_document_done_once(
    running_kiosk: Callable[..., Running], admin: Admin, tmp_path: Path
) -> None:
    kiosk = running_kiosk(concurrency=4)
    docs = [pdf_bytes(tmp_path, f"o-{i}") for i in range(24)]
    for i, data in enumerate(docs[:8]):
        slow_write(kiosk.inbox / "budi" / f"o-{i}.pdf", data)
    kiosk.wait_until(lambda: len(kiosk.rows()) >= 4)
    admin.faults(
        {
            "seed": 5,
            "rules": [
                {"endpoint": "stampv2", "fault": "drop_before_commit", "probability": 0.5},
                {"endpoint": "*", "fault": "http_error", "status": 503, "probability": 0.7},
            ],
        }
    )
    for i, data in enumerate(docs[8:], start=8):
        slow_write(kiosk.inbox / "siti" / f"o-{i}.pdf", data)
    kiosk.wait_until(lambda: len(kiosk.rows()) == 24)
    admin.faults({"rules": [{"endpoint": "*", "fault": "http_error", "status": 503}]})
    kiosk.wait_until(lambda: kiosk.kiosk.runner._online is False, 20)
    admin.faults({})
    rows = kiosk.wait_done(24, timeout=90)

    serials = admin.serials()
    assert len(serials) == 24
    assert all(s["stamp_count"] == 1 for s in serials)
    assert {r.sn for r in rows} == {s["sn"] for s in serials}
    assert {r.state for r in rows} == {State.DONE}


def test_the_kiosk_creates_the_outbox_before_its_runner_connects(
    kiosk_paths: Paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Escaped under load: on a fresh data folder the runner's first connection raced the
    kiosk's to switch the new outbox to WAL, lost ("database is locked") and stopped,
    while the kiosk went on taking files that were then never stamped."""
    modes: list[str | None] = []

    def start(_runner: SyncRunner) -> None:
        database = kiosk_paths.database
        if not database.exists():
            modes.append(None)
            return
        conn = sqlite3.connect(database)
        try:
            modes.append(conn.execute("PRAGMA journal_mode").fetchone()[0])
        finally:
            conn.close()

    monkeypatch.setattr(SyncRunner, "start", start)
    folders = (tmp_path / "inbox", tmp_path / "outbox", tmp_path / "rejected")
    kiosk = Kiosk(kiosk_paths, load_settings(kiosk_paths), KioskConfig(*folders))
    kiosk.start()
    kiosk.stop()
    assert modes == ["wal"]

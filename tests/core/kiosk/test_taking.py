"""Taking a dropped file, against the real sandbox: never half-written, never bought twice,
a bad file moved aside with its reason."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from meterai.kiosk.taking import Duplicate, Rejected, Taken
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

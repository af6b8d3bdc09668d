"""Issue 15 item 5: one list of document types, and no code sent with another meaning.

Against the real sandbox over HTTPS: the sandbox serves the provider's list (the one
the client has built in) until a test replaces it through its admin API, playing a
provider that renamed or dropped a code. The sandbox ledger says whether anything was
bought and with which ``namadoc``.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path

import pytest

from meterai import doctypes, i18n
from meterai.cli.main import run
from meterai.outbox import Outbox, RequestRow, State
from meterai.outbox.db import open_connection
from meterai.outbox.migrations import migrate
from meterai.outbox.store import purchase_tag
from meterai.settings import Paths
from tests.support.pdfs import make_pdf
from tests.support.sandbox import (
    Admin,
    admin,
    client_paths,
    drain,
    provider,
    queue_documents,
    row_of,
)

__all__ = ["admin", "client_paths", "provider"]  # fixtures


def _cli(paths: Paths, *args: str) -> int:
    return run(["--data-dir", str(paths.data_dir), "--lang", "en", *args])


def _reason_in(row: RequestRow, language: str) -> str:
    i18n.set_language(language)
    try:
        return row.reason()
    finally:
        i18n.set_language("id")


def _provider_renames(admin: Admin, kode: str, nama: str | None) -> None:
    """The provider's list with ``kode`` renamed to ``nama`` (or dropped when ``None``)."""
    served = [
        {"id": t.id, "kode": t.kode, "nama": nama if t.kode == kode else t.nama}
        for t in doctypes.BUILT_IN
        if not (t.kode == kode and nama is None)
    ]
    assert admin.http.put("/_sandbox/jenisdoc", json=served).status_code == 200


def _queue_as(paths: Paths, folder: Path, kode: str) -> int:
    from meterai.intake import IntakeOptions, queue_file

    folder.mkdir(parents=True, exist_ok=True)
    box = Outbox.open(paths)
    try:
        pdf = make_pdf(folder / f"type-{kode}.pdf")
        options = IntakeOptions(doc_type=kode, out_dir=str(folder / "out"))
        return queue_file(box, paths, pdf, options).request.id
    finally:
        box.close()


def test_the_built_in_list_is_the_list_the_provider_serves(
    client_paths: Paths, admin: Admin
) -> None:
    box = Outbox.open(client_paths)
    try:
        assert doctypes.cached_types(box) == (doctypes.BUILT_IN, False)
    finally:
        box.close()
    drain(client_paths, 2)
    box = Outbox.open(client_paths)
    try:
        fetched, from_provider = doctypes.cached_types(box)
    finally:
        box.close()
    assert from_provider
    assert [(t.kode, t.nama) for t in fetched] == [(t.kode, t.nama) for t in doctypes.BUILT_IN]


def test_a_request_queued_offline_stores_the_name_it_was_queued_with(
    client_paths: Paths, tmp_path: Path
) -> None:
    (request_id,) = queue_documents(client_paths, 1, tmp_path / "docs")
    row = row_of(client_paths, request_id)
    assert (row.doc_type, row.doc_type_name) == ("3", "Surat Keterangan")


def _v5_request_queued_offline_as(paths: Paths, folder: Path, kode: str) -> int:
    """An outbox written by the previous version (schema 5) with one request queued
    offline as ``kode``, its document stored as that version stored documents."""
    folder.mkdir(parents=True, exist_ok=True)
    pdf = make_pdf(folder / "akta.pdf")
    sha = hashlib.sha256(pdf.read_bytes()).hexdigest()
    paths.docs_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pdf, paths.docs_dir / f"{sha}.pdf")
    conn = open_connection(paths.database)
    migrate(conn, paths.database, target=5)
    install_id = conn.execute("SELECT value FROM meta WHERE key = 'install_id'").fetchone()[0]
    with conn:
        conn.execute(
            "INSERT INTO documents (sha256, size, page_count, pdf_version, original_name,"
            " fixes, added_at) VALUES (?, ?, 1, '1.7', 'akta.pdf', '[]', ?)",
            [sha, pdf.stat().st_size, time.time()],
        )
        cursor = conn.execute(
            "INSERT INTO requests (state, doc_sha256, original_sha256, file_name, doc_type,"
            " page_index, rect_x1, rect_y1, rect_x2, rect_y2, out_dir, created_at,"
            " updated_at, attempts, numbering_tag)"
            " VALUES ('queued', ?, ?, 'akta.pdf', ?, 0, 400, 60, 480, 140, ?, ?, ?, 0, ?)",
            [
                sha,
                sha,
                kode,
                str(folder / "out"),
                time.time(),
                time.time(),
                purchase_tag(install_id),
            ],
        )
        request_id = int(cursor.lastrowid or 0)
        conn.execute(
            "INSERT INTO journal (request_id, from_state, to_state, at) VALUES (?, NULL,"
            " 'queued', ?)",
            [request_id, time.time()],
        )
    conn.close()
    return request_id


def test_queued_offline_as_akta_notaris_is_never_sent_as_surat_pernyataan(
    client_paths: Paths, admin: Admin, tmp_path: Path
) -> None:
    """The escaped bug: the old built-in list called ``4a`` "Akta Notaris", the provider's
    ``4a`` is "Surat Pernyataan"; a request queued offline as 4a was bought as the latter."""
    request_id = _v5_request_queued_offline_as(client_paths, tmp_path / "docs", "4a")
    assert row_of(client_paths, request_id).doc_type_name == "Akta Notaris"

    drain(client_paths, 2)

    row = row_of(client_paths, request_id)
    assert row.state == State.NEEDS_ATTENTION and row.sn is None, row
    assert admin.serials() == [] and admin.account()["spent"] == 0, "nothing was bought"
    english = _reason_in(row, "en")
    for part in ('"Akta Notaris"', '"Surat Pernyataan"', "code 4a", f"meterai retry {request_id}"):
        assert part in english, english
    indonesian = _reason_in(row, "id")
    assert indonesian != english
    for part in ('"Akta Notaris"', '"Surat Pernyataan"', "4a", f"meterai retry {request_id}"):
        assert part in indonesian, indonesian

    # The user's meaning, Akta Notaris, is code 6 in the provider's list.
    assert _cli(client_paths, "retry", str(request_id), "--type", "6") == 0
    drain(client_paths, 2)
    row = row_of(client_paths, request_id)
    assert row.state == State.DONE, row
    assert (row.doc_type, row.doc_type_name) == ("6", "Akta Notaris")
    (serial,) = admin.serials()
    assert (serial["sn"], serial["namadoc"]) == (row.sn, "6")


def test_a_code_the_provider_renamed_after_queueing_is_held_until_confirmed(
    client_paths: Paths, admin: Admin, tmp_path: Path
) -> None:
    request_id = _queue_as(client_paths, tmp_path / "docs", "4b")
    _provider_renames(admin, "4b", "Surat Kuasa Khusus")

    drain(client_paths, 2)
    row = row_of(client_paths, request_id)
    assert row.state == State.NEEDS_ATTENTION, row
    assert '"Surat Kuasa"' in _reason_in(row, "en") and "Surat Kuasa Khusus" in row.reason()

    # A plain retry asks again: the meaning is still not confirmed, nothing is bought.
    assert _cli(client_paths, "retry", str(request_id)) == 0
    drain(client_paths, 2)
    assert row_of(client_paths, request_id).state == State.NEEDS_ATTENTION
    assert admin.serials() == []

    assert _cli(client_paths, "retry", str(request_id), "--type", "4b") == 0
    assert row_of(client_paths, request_id).doc_type_name == "Surat Kuasa Khusus"
    drain(client_paths, 2)
    row = row_of(client_paths, request_id)
    assert row.state == State.DONE, row
    (serial,) = admin.serials()
    assert serial["namadoc"] == "4b" and admin.account()["spent"] == 1


def test_a_code_the_provider_dropped_is_held_and_an_unknown_choice_refused(
    client_paths: Paths, admin: Admin, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request_id = _queue_as(client_paths, tmp_path / "docs", "9")
    _provider_renames(admin, "9", None)

    drain(client_paths, 2)
    row = row_of(client_paths, request_id)
    assert row.state == State.NEEDS_ATTENTION, row
    assert "no longer has code 9" in _reason_in(row, "en")

    assert _cli(client_paths, "retry", str(request_id), "--type", "9") != 0
    assert "9" in capsys.readouterr().err
    assert row_of(client_paths, request_id).state == State.NEEDS_ATTENTION
    assert admin.serials() == []


def test_the_type_of_a_request_holding_a_serial_number_cannot_change(
    client_paths: Paths, admin: Admin, tmp_path: Path
) -> None:
    admin.faults({"rules": [{"endpoint": "docSigningZ", "fault": "refuse_document", "count": 1}]})
    (request_id,) = queue_documents(client_paths, 1, tmp_path / "docs")
    drain(client_paths, 2)
    row = row_of(client_paths, request_id)
    assert row.state == State.NEEDS_ATTENTION and row.sn, row

    assert _cli(client_paths, "retry", str(request_id), "--type", "2") != 0
    after = row_of(client_paths, request_id)
    assert (after.state, after.doc_type, after.sn) == (State.NEEDS_ATTENTION, "3", row.sn)


def test_older_rows_get_the_cached_providers_name_when_one_was_fetched(
    paths: Paths, tmp_path: Path
) -> None:
    request_id = _v5_request_queued_offline_as(paths, tmp_path / "docs", "4a")
    conn = open_connection(paths.database)
    with conn:
        conn.execute(
            "INSERT INTO provider_cache (key, value, fetched_at) VALUES ('jenisdoc', ?, 0)",
            ['[{"id": "3", "kode": "4A", "nama": "Surat Pernyataan"}]'],
        )
    conn.close()
    assert row_of(paths, request_id).doc_type_name == "Surat Pernyataan"

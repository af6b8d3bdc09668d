"""Forward-only schema migrations, recorded in ``PRAGMA user_version``.

Each step runs in its own transaction together with the version bump, so a crash
mid-migration leaves the previous version intact. A file from a newer version is
refused before anything is written to it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from meterai.errors import MigrationError
from meterai.outbox.db import atomic

if TYPE_CHECKING:
    import sqlite_utils

# sqlite-utils is imported only when a migration is due: opening an up-to-date outbox
# (every ``meterai status``) should not pay for it.
Migration = Callable[["sqlite_utils.Database"], None]


# The request row as version 1 created it (later migrations add columns).
_V1_REQUEST_COLUMNS: dict[str, type] = {
    "id": int,
    "state": str,
    "doc_sha256": str,
    "file_name": str,
    "source_path": str,
    "doc_type": str,
    "page_index": int,
    "rect_x1": float,
    "rect_y1": float,
    "rect_x2": float,
    "rect_y2": float,
    "nodoc": str,
    "tgldoc": str,
    "nilaidoc": int,
    "out_dir": str,
    "created_at": float,
    "updated_at": float,
    "attempts": int,
    "next_attempt_at": float,
    "last_error": str,
    "provider_file_id": str,
    "sn": str,
    "numbering_tag": str,
    "stamped_path": str,
    "output_path": str,
}


def _v1_initial(db: sqlite_utils.Database) -> None:
    db.table("documents").create(
        {
            "sha256": str,
            "size": int,
            "page_count": int,
            "pdf_version": str,
            "original_name": str,
            "fixes": str,
            "added_at": float,
        },
        pk="sha256",
    )
    db.table("requests").create(
        _V1_REQUEST_COLUMNS,
        pk="id",
        not_null={"state", "doc_sha256", "created_at", "updated_at", "attempts"},
        defaults={"attempts": 0},
        foreign_keys=[("doc_sha256", "documents", "sha256")],
    )
    db.table("journal").create(
        {
            "id": int,
            "request_id": int,
            "from_state": str,
            "to_state": str,
            "at": float,
            "detail": str,
        },
        pk="id",
        not_null={"request_id", "to_state", "at"},
        foreign_keys=[("request_id", "requests", "id")],
    )
    db.table("provider_cache").create(
        {"key": str, "value": str, "fetched_at": float}, pk="key", not_null={"value"}
    )


def _v2_serials_identity_guards(db: sqlite_utils.Database) -> None:
    """Serial numbers get their own table (orphans must outlive requests), plus kiosk and
    identity fields, the due-query index, and a trigger that makes queued requests immutable."""
    requests = db.table("requests")
    for column in ("customer", "namejidentitas", "noidentitas", "namedipungut", "profile"):
        requests.add_column(column, str)
    requests.create_index(["state", "next_attempt_at"], index_name="requests_due")
    requests.create_index(["sn"], index_name="requests_sn", unique=True)
    requests.create_index(["numbering_tag"], index_name="requests_tag", unique=True)
    db.table("journal").create_index(["request_id"], index_name="journal_request")
    db.table("serials").create(
        {
            "sn": str,
            "request_id": int,
            "tag": str,
            "source": str,
            "found_at": float,
            "reassigned_at": float,
        },
        pk="sn",
        not_null={"found_at"},
    )
    frozen = ", ".join(
        [
            "doc_sha256",
            "file_name",
            "doc_type",
            "page_index",
            "rect_x1",
            "rect_y1",
            "rect_x2",
            "rect_y2",
            "nodoc",
            "tgldoc",
            "nilaidoc",
            "customer",
        ]
    )
    db.execute(
        f"""
        CREATE TRIGGER requests_immutable_after_queue
        BEFORE UPDATE OF {frozen} ON requests
        WHEN OLD.state != 'draft'
        BEGIN
            SELECT RAISE(ABORT, 'a queued request is immutable');
        END
        """
    )


def _v3_sync_facts(db: sqlite_utils.Database) -> None:
    """What the sync engine must remember across crashes: whether a stamping call was ever
    sent for the request's SN (so every later one carries ``retryFlag``), where the
    provider put the result, and this installation's id (part of every purchase tag, so
    recovery never adopts another device's serial numbers)."""
    requests = db.table("requests")
    requests.add_column("stamp_tries", int, not_null_default=0)
    requests.add_column("result_url", str)
    requests.add_column("waiting_reason", str)
    db.table("meta").create({"key": str, "value": str}, pk="key", not_null={"value"})
    db.execute("INSERT INTO meta (key, value) VALUES ('install_id', lower(hex(randomblob(6))))")


def _v4_reason_as_message(db: sqlite_utils.Database) -> None:
    """Why a request waits or needs attention, as a message id and its parameters (JSON),
    so a row written in one language reads in the other after a switch; ``last_error``
    keeps the English text for logs and older readers."""
    db.table("requests").add_column("last_error_msg", str)


_FROZEN_AFTER_QUEUE = (
    "doc_sha256",
    "original_sha256",
    "file_name",
    "doc_type",
    "page_index",
    "rect_x1",
    "rect_y1",
    "rect_x2",
    "rect_y2",
    "nodoc",
    "tgldoc",
    "nilaidoc",
    "customer",
)


def _v5_original_sha_and_replacement(db: sqlite_utils.Database) -> None:
    """A document is known by the sha256 of the bytes the user gave (before any fix), so
    adding it again is recognised; older rows get their stored copy's hash, the best
    there is. Serial numbers remember whose identity they were bought with, so a released
    one only goes to a request naming the same party. The immutability trigger gains one
    opening: a request refused by the provider after its serial number was bought may
    take a corrected document, on its way from needs_attention back to queued, keeping
    its serial number (the replacement verb is the only writer that does so)."""
    requests = db.table("requests")
    requests.add_column("original_sha256", str)
    db.execute("UPDATE requests SET original_sha256 = doc_sha256")
    requests.create_index(["original_sha256"], index_name="requests_original")
    requests.create_index(["doc_sha256"], index_name="requests_doc", if_not_exists=True)
    db.table("serials").add_column("noidentitas", str)
    db.execute("DROP TRIGGER requests_immutable_after_queue")
    db.execute(
        f"""
        CREATE TRIGGER requests_immutable_after_queue
        BEFORE UPDATE OF {", ".join(_FROZEN_AFTER_QUEUE)} ON requests
        WHEN OLD.state != 'draft' AND NOT (
            OLD.state = 'needs_attention' AND NEW.state = 'queued'
            AND OLD.sn IS NOT NULL AND NEW.sn IS OLD.sn
        )
        BEGIN
            SELECT RAISE(ABORT, 'a queued request is immutable');
        END
        """
    )


# The list earlier versions had built in, as it was: the names a request queued before
# the provider's list was first fetched was shown. Frozen here, not imported, because
# ``meterai.doctypes`` has moved on (its codes 3, 4a and 6 meant other things).
_V5_BUILT_IN_NAMES = {
    "2": "Surat Perjanjian",
    "3": "Surat Keterangan / Surat Pernyataan",
    "4a": "Akta Notaris",
    "4b": "Akta PPAT",
    "5": "Surat Berharga",
    "6": "Dokumen Transaksi Surat Berharga",
    "7": "Dokumen Lelang",
    "8": "Dokumen Penerimaan Uang (lebih dari Rp5.000.000)",
    "9": "Dokumen yang Digunakan sebagai Alat Bukti di Pengadilan",
}


def _v6_doc_type_name(db: sqlite_utils.Database) -> None:
    """A request remembers the name of the type the user chose, not only its code: the
    provider's list may give the code another meaning before the request is sent, and
    then the request is held with a question instead of bought under the other meaning.

    Older rows get the name the user was most likely shown: the provider's cached list
    if one was fetched, else the built-in list of that version. The type (code and name)
    may change on exactly one move, needs_attention back to queued before any serial
    number exists, with nothing else of the request changing: that is the confirmation
    of a type whose meaning changed."""
    db.table("requests").add_column("doc_type_name", str)
    names = dict(_V5_BUILT_IN_NAMES)
    names.update(_cached_provider_names(db.conn))
    for kode, nama in names.items():
        db.execute(
            "UPDATE requests SET doc_type_name = ? WHERE doc_type_name IS NULL"
            " AND lower(doc_type) = lower(?)",
            [nama, kode],
        )
    _frozen = (*_FROZEN_AFTER_QUEUE, "doc_type_name")
    unchanged = " AND ".join(
        f"NEW.{c} IS OLD.{c}" for c in _frozen if c not in ("doc_type", "doc_type_name")
    )
    db.execute("DROP TRIGGER requests_immutable_after_queue")
    db.execute(
        f"""
        CREATE TRIGGER requests_immutable_after_queue
        BEFORE UPDATE OF {", ".join(_frozen)} ON requests
        WHEN OLD.state != 'draft' AND NOT (
            OLD.state = 'needs_attention' AND NEW.state = 'queued'
            AND OLD.sn IS NOT NULL AND NEW.sn IS OLD.sn
        ) AND NOT (
            OLD.state = 'needs_attention' AND NEW.state = 'queued'
            AND OLD.sn IS NULL AND NEW.sn IS NULL AND {unchanged}
        )
        BEGIN
            SELECT RAISE(ABORT, 'a queued request is immutable');
        END
        """
    )


def _v7_queue_position_and_provider_words(db: sqlite_utils.Database) -> None:
    """The provider's queue position and its own message in its last refusal ("Antrian
    sedang penuh"), kept with the request so ``status`` and the GUI's outbox show them,
    not only the live ``sync`` output. Older rows have neither: NULL."""
    requests = db.table("requests")
    requests.add_column("queue_position", int)
    requests.add_column("provider_message", str)


def _cached_provider_names(conn: sqlite3.Connection) -> dict[str, str]:
    row = conn.execute("SELECT value FROM provider_cache WHERE key = 'jenisdoc'").fetchone()
    try:
        items = json.loads(row[0]) if row else []
    except ValueError:
        return {}
    if not isinstance(items, list):
        return {}
    return {
        str(item["kode"]).lower(): str(item["nama"])
        for item in items
        if isinstance(item, dict) and "kode" in item and "nama" in item
    }


MIGRATIONS: tuple[Migration, ...] = (
    _v1_initial,
    _v2_serials_identity_guards,
    _v3_sync_facts,
    _v4_reason_as_message,
    _v5_original_sha_and_replacement,
    _v6_doc_type_name,
    _v7_queue_position_and_provider_words,
)
LATEST = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def check_not_newer(conn: sqlite3.Connection, path: Path) -> None:
    found = schema_version(conn)
    if found > LATEST:
        raise MigrationError(path=str(path), found=found, known=LATEST)


def migrate(conn: sqlite3.Connection, path: Path, *, target: int = LATEST) -> int:
    """Apply every step above the file's version up to ``target``; returns the new version."""
    check_not_newer(conn, path)
    version = schema_version(conn)
    if version >= target:
        return version
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    while version < target:
        with atomic(conn):
            if schema_version(conn) == version:
                MIGRATIONS[version](db)
                conn.execute(f"PRAGMA user_version = {version + 1}")
        version = schema_version(conn)
    return version

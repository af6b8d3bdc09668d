"""An outbox that cannot be lost silently: the checks every open makes before it creates.

SQLite takes a missing or 0-byte file as a new, empty database. For a data dir that
never held a request that is right; beside documents in ``docs/`` or ``stamped/`` it
means the outbox was lost (a failed copy, a sync tool, a careless backup), and taking
it as new would hide the paid requests and start a new install id, after which
reconciliation can no longer recognise their serial numbers. So the open refuses,
names the evidence and the way back (``meterai recover --restore``), and leaves
every file as it found it.

The install id also lives in a small file beside the outbox (``install-id``): the
database stays the authority (its requests' purchase tags carry it, and every backup
copies it), and the file lets an outbox rebuilt without a usable backup keep the id,
so the provider's serial numbers bought by this installation are still matched, as
orphans to reuse, at the next reconciliation.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
from pathlib import Path

from meterai.errors import StoreError
from meterai.fsutil import TEMP_PREFIX, atomic_write_bytes
from meterai.i18n import N_
from meterai.outbox.db import atomic
from meterai.settings import Paths

log = logging.getLogger(__name__)

INSTALL_ID = re.compile(r"[0-9a-f]{12}")

MISSING = N_(
    "The outbox {path} is missing, but {folder} still holds its documents ({count}). It "
    "was not created anew, so no request is dropped silently. Run `meterai recover "
    "--restore` to rebuild it from the newest backup."
)
EMPTY = N_(
    "The outbox {path} is empty, but {folder} still holds its documents ({count}). It "
    "was left as it is, so no request is dropped silently. Run `meterai recover "
    "--restore` to rebuild it from the newest backup."
)


class OutboxLost(StoreError):
    """The outbox file is missing or empty while its documents are still there."""

    code = "outbox_lost"
    template = MISSING


def refuse_if_lost(paths: Paths) -> None:
    """Before connecting: a missing or 0-byte outbox beside stored documents is refused."""
    try:
        size: int | None = paths.database.stat().st_size
    except FileNotFoundError:
        size = None
    if size:
        return  # SQLite judges the content: garbage is StoreCorrupt, no schema is below
    _refuse_with_evidence(paths, MISSING if size is None else EMPTY)


def refuse_if_unformatted(conn: sqlite3.Connection, paths: Paths) -> None:
    """After connecting, before migrating: a database with no schema (user_version 0) is
    an empty outbox too, when documents say there was one."""
    if int(conn.execute("PRAGMA user_version").fetchone()[0]) == 0:
        _refuse_with_evidence(paths, EMPTY)


def _refuse_with_evidence(paths: Paths, template: str) -> None:
    for folder in (paths.docs_dir, paths.stamped_dir):
        count = stored_files(folder)
        if count:
            raise OutboxLost(template, path=str(paths.database), folder=str(folder), count=count)


def stored_files(folder: Path) -> int:
    """Regular files an outbox left in ``folder`` (a crash's temp files do not count)."""
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return 0
    return sum(1 for e in entries if e.is_file() and not e.name.startswith(TEMP_PREFIX))


def keep_install_id(conn: sqlite3.Connection, paths: Paths) -> str:
    """Reconcile the database's install id with the file's; returns the one in force.

    A database that holds no request and no serial number yet (just created, or
    rebuilt) takes the file's id: no tag carries its own. One that does keeps its
    own, since its requests' tags were made with it.
    """
    current = str(conn.execute("SELECT value FROM meta WHERE key = 'install_id'").fetchone()[0])
    stored = read_install_id(paths)
    if stored is None:
        _write_install_id(paths, current)
        return current
    if stored == current:
        return current
    used = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM requests) OR EXISTS (SELECT 1 FROM serials)"
    ).fetchone()[0]
    if used:
        log.warning(
            "install id %s of %s differs from %s in %s; the database's is kept",
            current,
            paths.database,
            stored,
            paths.install_id_file,
        )
        return current
    with atomic(conn):
        conn.execute("UPDATE meta SET value = ? WHERE key = 'install_id'", [stored])
    log.info("new outbox %s takes this installation's id %s", paths.database, stored)
    return stored


def read_install_id(paths: Paths) -> str | None:
    try:
        text = paths.install_id_file.read_text("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if INSTALL_ID.fullmatch(text) else None


def _write_install_id(paths: Paths, install_id: str) -> None:
    try:
        atomic_write_bytes(paths.install_id_file, f"{install_id}\n".encode("ascii"))
    except OSError as exc:  # a read-only folder: the database still holds it
        log.warning("install id not written to %s: %s", paths.install_id_file, exc)

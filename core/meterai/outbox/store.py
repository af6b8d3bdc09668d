"""The outbox: every verb on stamp requests, over the backend that keeps them.

The verbs live by concern (``requests.py``: requests and their journal; ``serials.py``:
serial numbers, orphans and the requests that hold a paid one; ``cache.py``: what the
provider told us last) and are written once; ``Outbox`` composes them over a
``Backend`` (``backend.py``). Nothing outside this package sends SQL: a caller that
needs several verbs in one transaction uses ``Outbox.atomic()``.
"""

from __future__ import annotations

import time

from meterai.outbox import sqlite
from meterai.outbox.backend import Backend
from meterai.outbox.requests import CLEAN_SLATE, Clock
from meterai.outbox.rows import (
    MUTABLE_FIELDS,
    TAG_PATTERN,
    AlreadyFinished,
    JournalEntry,
    NewRequest,
    NotCancellable,
    NotReplaceable,
    Replacement,
    RequestRow,
    SerialUsed,
    TypeNotChangeable,
    purchase_tag,
)
from meterai.outbox.serials import SerialVerbs
from meterai.settings import Paths

__all__ = [
    "CLEAN_SLATE",
    "MUTABLE_FIELDS",
    "TAG_PATTERN",
    "AlreadyFinished",
    "Backend",
    "JournalEntry",
    "NewRequest",
    "NotCancellable",
    "NotReplaceable",
    "Outbox",
    "Replacement",
    "RequestRow",
    "SerialUsed",
    "TypeNotChangeable",
    "purchase_tag",
]


class Outbox(SerialVerbs):
    """One connection to the outbox; open one per thread."""

    @classmethod
    def open(
        cls, paths: Paths, *, check_integrity: bool = True, clock: Clock = time.time
    ) -> Outbox:
        """Open (or create) the data folder's outbox; every entry point comes through here,
        so a lost or damaged outbox is refused the same way in the CLI, the runner, the
        GUI and the kiosk. A data folder set to a shared database (``--database``,
        ``METERAI_DATABASE``, the ``database`` setting) opens that one instead."""
        from meterai.outbox.postgres.address import chosen_database

        shared = chosen_database(paths)
        if shared is not None:
            from meterai.outbox.postgres.shared import open_shared

            return open_shared(paths, shared, clock)
        return cls(sqlite.open_file(paths, check_integrity=check_integrity), clock)

    @classmethod
    def open_read_only(cls, paths: Paths) -> Outbox:
        """For reading only, when the disk refuses writes; its schema must be current.
        A shared database is not on this disk: it opens as usual."""
        from meterai.outbox.postgres.address import chosen_database

        if chosen_database(paths) is not None:
            return cls.open(paths)
        return cls(sqlite.open_read_only(paths))

    def holds(self, request_id: int) -> bool:
        """Whether this process may keep working on the request: always on its own file;
        on a shared database, while this counter's claim on it stands."""
        return True

    def bring_files(self, row: RequestRow) -> None:
        """Have the files of a request ``due()`` returned in this data folder before it
        is worked on: they are here already for a folder's own outbox; on a shared
        database another counter may have taken the request in."""

    def current(self, request_id: int) -> tuple[RequestRow, bool]:
        """The request and whether this process may keep working on it (``holds``), in
        one read where the database allows: the runner asks both after every step."""
        return self.get(request_id), self.holds(request_id)

    def close(self) -> None:
        """Close, taking the backup a burst of changes left pending (the end of a run)."""
        self._db.close()

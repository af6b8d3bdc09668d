"""The seam between the outbox's verbs and the database that keeps them.

The verbs (``requests.py``, ``serials.py``, ``cache.py``) hold every rule of a stamp
request's life and are written once; a backend only runs their SQL and owns the
transaction. SQLite (``sqlite.py``) is the embedded default; a server database is one
more module implementing ``Backend``, with its own opening and schema, and no copy of
the rules.

The SQL the verbs send is the portable subset both SQLite (3.35 or newer) and
PostgreSQL speak, so a backend passes it through with at most a mechanical rewrite:

- parameters are ``?`` (qmark); a backend whose driver wants ``%s`` rewrites them;
- every selected column has a name (``count(*) AS n``): rows are read by name only;
- new ids come back through ``INSERT ... RETURNING id``;
- upserts are ``INSERT ... ON CONFLICT ... DO UPDATE/NOTHING``;
- a row read in order to change it ends in ``Backend.for_update``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

Row = Mapping[str, Any]
Params = Sequence[Any]


class Backend(Protocol):
    """One connection to the outbox's database; the outbox opens one per thread."""

    location: str
    """Where the outbox lives, for messages and logs (a path, or a URL without password)."""

    for_update: str
    """The suffix that locks the rows a write transaction reads before it changes them:
    ``""`` where ``atomic()`` already holds the database's write lock (SQLite's
    ``BEGIN IMMEDIATE``), ``" FOR UPDATE"`` on a server with row locks."""

    def atomic(self, *, one_request: bool = False) -> AbstractContextManager[None]:
        """One transaction that holds the write lock from its start; nested, a savepoint.

        ``one_request``: the transaction reads and changes one request's row (and appends
        its journal and its own rows) and decides nothing from other requests' rows. A
        server may then let such transactions run side by side, the row lock
        (``for_update``) keeping two moves of one request apart, and hold the lock alone
        only for the others; SQLite, with one writer at a time, ignores it.

        Everything inside commits together or not at all (any exception rolls back). Here
        and in every method below, the database refusing (busy past its timeout, a full or
        read-only disk, a damaged file or server) surfaces as a ``MeteraiError``
        (``StoreLocked``, ``DiskError``, ``StoreCorrupt``, ``StoreError``); a programming
        error (bad SQL, a broken constraint or trigger) keeps the driver's exception: it
        is a bug, and keeps its traceback."""
        ...

    def one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query, or ``None``."""
        ...

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of a query."""
        ...

    def run(self, sql: str, params: Params = ()) -> int:
        """A statement that changes rows; the number of rows it changed."""
        ...

    def close(self) -> None:
        """Finish pending housekeeping (a backup due after a burst of changes) and close."""
        ...

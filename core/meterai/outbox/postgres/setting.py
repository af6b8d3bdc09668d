"""The database setting as the window and the kiosk dialog edit it: try it, then keep it.

*Test connection* connects with the password just typed (nothing is stored yet) and says
what the database holds: empty (the first counter sets it up), or this many requests of
these counters. *Save* puts the password in the OS keyring, as ``meterai outbox password``
does, and the address (never the password) in the settings file.

Switching a folder to a shared database is refused while its own SQLite outbox still has
documents on their way: they would sit unseen in the file. They finish first, or move
with ``meterai outbox migrate`` (which leaves the file untouched).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from meterai.errors import InputError, MeteraiError
from meterai.i18n import N_
from meterai.messages import Message
from meterai.outbox.postgres.address import SETTING, DatabaseUrl
from meterai.settings import Paths, Settings, save_settings


class LocalRequestsPending(InputError):
    code = "database_local_pending"
    template = N_(
        "{count} documents are still on their way in this computer's own outbox. Let them "
        "finish, or move them to the shared database first with: meterai outbox migrate "
        "--to {url}"
    )


@dataclass(frozen=True)
class DatabaseReport:
    """What *Test connection* found: ``ok`` and the words to show either way."""

    ok: bool
    message: Message
    requests: int = 0
    counters: tuple[str, ...] = ()


def check_database(text: str, password: str) -> DatabaseReport:
    """Connect to ``text`` with ``password`` (or the keyring's, or libpq's own sources)
    and look: a refusal or a bad address is a report, not an exception."""
    try:
        url = DatabaseUrl.parse(text.strip())
        return _look(url, password)
    except MeteraiError as exc:
        return DatabaseReport(False, exc.message())


def _look(url: DatabaseUrl, password: str) -> DatabaseReport:
    import psycopg

    from meterai.outbox.postgres.connect import connection_kwargs, conninfo, translate
    from meterai.outbox.postgres.schema import LATEST, schema_version

    kwargs: dict[str, Any] = connection_kwargs(url)
    if password:
        kwargs["password"] = password
    try:
        with psycopg.connect(conninfo(url), autocommit=True, **kwargs) as conn:
            version = schema_version(conn)
            if version == 0:
                return DatabaseReport(True, Message(_EMPTY, {"url": str(url)}))
            if version > LATEST:
                return DatabaseReport(False, Message(_NEWER, {"url": str(url)}))
            rows = conn.execute("SELECT counter, count(*) FROM requests GROUP BY counter")
            found = {str(name or "?"): int(n) for name, n in rows.fetchall()}
    except psycopg.Error as exc:
        return DatabaseReport(False, translate(exc, url).message())
    counters = tuple(sorted(found))
    total = sum(found.values())
    words = Message(_IN_USE, {"url": str(url), "count": total, "counters": ", ".join(counters)})
    return DatabaseReport(True, words, total, counters)


_EMPTY = N_("Connected to {url}: the database is empty; the first counter sets it up.")
_NEWER = N_("Connected to {url}, but a newer Meterai Desk set it up: update this computer first.")
_IN_USE = N_("Connected to {url}: {count} requests, from the counters {counters}.")


def save_database(paths: Paths, settings: Settings, text: str | None, password: str) -> None:
    """Keep the choice (``None``: this computer's own file); the password to the keyring.

    On a worker: the keyring and the outbox file are touched. Takes effect at the next
    start of the app (the outbox in use is not swapped under running work)."""
    if text is None:
        settings.extra.pop(SETTING, None)
        save_settings(paths, settings)
        return
    url = DatabaseUrl.parse(text.strip())
    _refuse_stranding(paths, url)
    if password:
        from meterai.outbox.postgres.connect import store_password

        store_password(url, password)
    settings.extra[SETTING] = str(url)
    save_settings(paths, settings)


def _refuse_stranding(paths: Paths, url: DatabaseUrl) -> None:
    """The folder's own SQLite outbox must not keep documents the shared one never sees."""
    if not paths.database.is_file():
        return
    from meterai.outbox.sqlite import open_read_only
    from meterai.outbox.states import ACTIVE
    from meterai.outbox.store import Outbox

    box = Outbox(open_read_only(paths))
    try:
        pending = box.count(states=ACTIVE)
    finally:
        box.close()
    if pending:
        raise LocalRequestsPending(count=pending, url=str(url))

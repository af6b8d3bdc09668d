"""Reaching the shared database: its URL, its password, and a pool of connections.

The URL an operator writes (and the settings file keeps) never holds the password:
it comes from the OS keyring (service ``meterai-desk:database``, user
``user@host:port/dbname``), else from libpq's own sources (``PGPASSWORD``, the
``.pgpass`` file, peer authentication), exactly as ``psql`` would find it.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
import psycopg_pool

from meterai.errors import MeteraiError, StoreError
from meterai.i18n import N_
from meterai.outbox.postgres.address import DatabaseUrl

KEYRING_SERVICE = "meterai-desk:database"
CONNECT_TIMEOUT = 10
APPLICATION_NAME = "meterai-desk"

LOGGER = logging.getLogger("meterai.outbox.postgres")


class DatabaseUnavailable(StoreError):
    code = "database_unavailable"
    template = N_(
        "The shared database {where} cannot be reached: {detail}. Check that the database "
        "PC is on and the network connected; nothing was lost."
    )


def conninfo(url: DatabaseUrl) -> str:
    return psycopg.conninfo.make_conninfo(
        host=url.host, port=url.port, user=url.user, dbname=url.dbname
    )


def keyring_password(url: DatabaseUrl) -> str | None:
    """The password the operator stored for this database, if a keyring holds one."""
    from meterai import credentials

    if not credentials.keyring_usable():
        return None
    import keyring
    import keyring.errors

    try:
        return keyring.get_password(KEYRING_SERVICE, url.keyring_user)
    except keyring.errors.KeyringError as exc:
        LOGGER.warning("keyring lookup failed for the database: %s", exc)
        return None


def store_password(url: DatabaseUrl, password: str) -> None:
    """Keep the database's password in the OS keyring, where every counter process finds it."""
    from meterai import credentials
    from meterai.errors import UsageError

    if not password:
        raise UsageError(N_("The password is empty; nothing was stored."))
    if not credentials.keyring_usable():
        raise credentials.KeyringUnavailable()
    import keyring
    import keyring.errors

    try:
        keyring.set_password(KEYRING_SERVICE, url.keyring_user, password)
    except keyring.errors.KeyringError as exc:
        raise credentials.KeyringUnavailable() from exc


def connection_kwargs(url: DatabaseUrl) -> dict[str, Any]:
    """Keyword arguments for ``psycopg.connect``: the keyring's password if there is one."""
    kwargs: dict[str, Any] = {
        "connect_timeout": CONNECT_TIMEOUT,
        "application_name": APPLICATION_NAME,
    }
    password = keyring_password(url)
    if password:
        kwargs["password"] = password
    return kwargs


def connect(url: DatabaseUrl, *, autocommit: bool = True) -> psycopg.Connection[Any]:
    """One connection of its own (a listener, a lock holder), not taken from the pool."""
    try:
        return psycopg.connect(conninfo(url), autocommit=autocommit, **connection_kwargs(url))
    except psycopg.Error as exc:
        raise translate(exc, url) from exc


def open_pool(
    url: DatabaseUrl, *, max_size: int = 8, min_size: int = 1, check: bool = True
) -> psycopg_pool.ConnectionPool:
    """A pool that checks each connection before lending it (a database PC restarted).

    One direct connection first: a refused password or a server that is off is said at
    once and in words, where the pool would only time out (``check=False``: the caller
    has just made one itself). ``min_size=0`` makes no connection until one is asked
    for (a counter's token share: used by one login an hour, not worth a connection on
    every start's path)."""
    if check:
        connect(url).close()
    pool = psycopg_pool.ConnectionPool(
        conninfo(url),
        min_size=min_size,
        max_size=max_size,
        kwargs={"autocommit": True, **connection_kwargs(url)},
        check=psycopg_pool.ConnectionPool.check_connection,
        name=f"meterai:{url.dbname}",
        open=False,
    )
    try:
        pool.open(wait=True, timeout=CONNECT_TIMEOUT)
    except psycopg_pool.PoolTimeout as exc:
        pool.close()
        raise DatabaseUnavailable(where=str(url), detail=str(exc)) from exc
    return pool


def translate(exc: psycopg.Error, url: DatabaseUrl) -> MeteraiError:
    """A psycopg failure as the error tree's: unreachable, or another database failure."""
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, psycopg.OperationalError | psycopg_pool.PoolTimeout):
        return DatabaseUnavailable(where=str(url), detail=detail)
    return StoreError(detail=detail)

"""Reaching the shared database: its URL, its password, and a pool of connections.

The URL an operator writes (and the settings file keeps) never holds the password:
it comes from the OS keyring (service ``meterai-desk:database``, user
``user@host:port/dbname``), else from libpq's own sources (``PGPASSWORD``, the
``.pgpass`` file, peer authentication), exactly as ``psql`` would find it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
import psycopg_pool

from meterai.errors import InputError, MeteraiError, StoreError
from meterai.i18n import N_

ENV_VAR = "METERAI_DATABASE"
KEYRING_SERVICE = "meterai-desk:database"
SCHEMES = ("postgresql", "postgres")
CONNECT_TIMEOUT = 10
APPLICATION_NAME = "meterai-desk"

LOGGER = logging.getLogger("meterai.outbox.postgres")


class DatabaseUrlInvalid(InputError):
    code = "database_url_invalid"
    template = N_(
        "{url} is not a database address Meterai Desk can use ({detail}). Write it as "
        "postgresql://user@host:5432/dbname."
    )


class PasswordInUrl(InputError):
    code = "database_password_in_url"
    template = N_(
        "The database address must not contain the password: it would be kept in plain "
        "text. Remove it from the address and store it in the system keyring (or "
        "PGPASSWORD, or the .pgpass file)."
    )


class DatabaseUnavailable(StoreError):
    code = "database_unavailable"
    template = N_(
        "The shared database {where} cannot be reached: {detail}. Check that the database "
        "PC is on and the network connected; nothing was lost."
    )


def is_database_url(text: str | None) -> bool:
    """Whether ``text`` names a PostgreSQL database rather than the embedded SQLite file."""
    return bool(text) and urlsplit(str(text)).scheme in SCHEMES


@dataclass(frozen=True)
class DatabaseUrl:
    """A PostgreSQL address without a password: safe to print, log and keep on disk."""

    user: str
    host: str
    port: int
    dbname: str

    @classmethod
    def parse(cls, text: str) -> DatabaseUrl:
        parts = urlsplit(text)
        if parts.scheme not in SCHEMES:
            raise DatabaseUrlInvalid(url=text, detail="it must start with postgresql://")
        if parts.password is not None:
            raise PasswordInUrl()
        try:
            port = parts.port or 5432
        except ValueError as exc:
            raise DatabaseUrlInvalid(url=text, detail="the port is not a number") from exc
        dbname = unquote(parts.path.lstrip("/"))
        if not parts.hostname or not dbname or not parts.username:
            raise DatabaseUrlInvalid(url=text, detail="user, host and database name are needed")
        return cls(unquote(parts.username), parts.hostname, port, dbname)

    def __str__(self) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}"

    @property
    def keyring_user(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.dbname}"

    def conninfo(self) -> str:
        return psycopg.conninfo.make_conninfo(
            host=self.host, port=self.port, user=self.user, dbname=self.dbname
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
        return psycopg.connect(url.conninfo(), autocommit=autocommit, **connection_kwargs(url))
    except psycopg.Error as exc:
        raise translate(exc, url) from exc


def open_pool(url: DatabaseUrl, *, max_size: int = 8) -> psycopg_pool.ConnectionPool:
    """A pool that checks each connection before lending it (a database PC restarted).

    One direct connection first: a refused password or a server that is off is said at
    once and in words, where the pool would only time out."""
    connect(url).close()
    pool = psycopg_pool.ConnectionPool(
        url.conninfo(),
        min_size=1,
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

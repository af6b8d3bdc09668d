"""Which outbox is in force, and the shared database's address (no psycopg needed).

``--database`` (the CLI's global option, passed on as ``METERAI_DATABASE``), else the
environment's ``METERAI_DATABASE``, else the ``database`` setting (the GUI's and the
kiosk dialog's), else none: the embedded SQLite file in the data folder.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from meterai.errors import InputError, MeteraiError
from meterai.i18n import N_
from meterai.settings import Paths, Settings, load_settings

ENV_VAR = "METERAI_DATABASE"
SETTING = "database"
SCHEMES = ("postgresql", "postgres")


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


def chosen_database(paths: Paths, settings: Settings | None = None) -> DatabaseUrl | None:
    """The shared database this data folder uses, or ``None`` for its own SQLite file."""
    text = os.environ.get(ENV_VAR, "").strip()
    if not text:
        if settings is None and not paths.settings_file.is_file():
            return None
        chosen = (settings or load_settings(paths)).extra.get(SETTING)
        text = str(chosen or "").strip()
    if not text or text.lower() == "sqlite":
        return None
    return DatabaseUrl.parse(text)


@contextlib.contextmanager
def pinned(paths: Paths) -> Iterator[None]:
    """The database chosen when the window opened stays in use until it closes.

    Settings → Database saves a new choice for the next start: every outbox this process
    opens (the window's, the sync runner's, kiosk mode's) keeps reading the same one,
    never two at once. A setting that cannot be read is not pinned: opening the outbox
    says what is wrong with it, as before."""
    if os.environ.get(ENV_VAR, "").strip():
        yield
        return
    try:
        url = chosen_database(paths)
    except MeteraiError:
        yield
        return
    os.environ[ENV_VAR] = str(url) if url is not None else "sqlite"
    try:
        yield
    finally:
        os.environ.pop(ENV_VAR, None)

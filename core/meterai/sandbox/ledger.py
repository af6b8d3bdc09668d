"""The sandbox provider's own state: accounts, balance, files, serial numbers, results.

It is the ground truth the sync engine's torture tests compare against ("no stamp
burned, none stamped twice"), so every serial number keeps the request fields
that bought it, its status, its times and how often it was stamped. One SQLite
file under the sandbox data dir, WAL and ``synchronous=FULL`` like the outbox, so
an SN issued before a crash or restart is still there after it. Requests are
served from several threads; one connection behind a lock keeps the writes
serial, which is all a test service needs. Plain reads go through a connection of
the reading thread's own: WAL lets them run beside a commit, so the event loop's
token and file checks never wait for another request's fsync.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from meterai.errors import UsageError
from meterai.i18n import N_

DEFAULT_USER = "demo"
DEFAULT_PASSWORD = "demo"
DEFAULT_BALANCE = 1000
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY, user TEXT NOT NULL UNIQUE, first_name TEXT NOT NULL,
    salt TEXT NOT NULL, password_hash TEXT NOT NULL,
    granted INTEGER NOT NULL, balance INTEGER NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    id TEXT PRIMARY KEY, account_id TEXT NOT NULL, name TEXT NOT NULL,
    size INTEGER NOT NULL, sha256 TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS serials (
    sn TEXT PRIMARY KEY, account_id TEXT NOT NULL, seq INTEGER NOT NULL,
    idfile TEXT, namadoc TEXT, nodoc TEXT, namafile TEXT, nilaidoc TEXT, tgldoc TEXT,
    namejidentitas TEXT, noidentitas TEXT, namedipungut TEXT, sn_only INTEGER NOT NULL,
    status TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL,
    stamped_at REAL, stamped_idfile TEXT, stamp_count INTEGER NOT NULL DEFAULT 0,
    reassign_count INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS results (
    name TEXT PRIMARY KEY, account_id TEXT NOT NULL, sn TEXT NOT NULL, idfile TEXT NOT NULL,
    created_at REAL NOT NULL, expires_at REAL NOT NULL);
"""

_REQUEST_FIELDS = (
    "idfile",
    "namadoc",
    "nodoc",
    "namafile",
    "nilaidoc",
    "tgldoc",
    "namejidentitas",
    "noidentitas",
    "namedipungut",
)
_SN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def _random_sn(length: int = 22) -> str:
    """``length`` characters of the alphabet, each uniform and independent: the digits of
    one uniform number below ``len(alphabet) ** length``, drawn with one call to the
    system's generator instead of one per character."""
    base = len(_SN_ALPHABET)
    number = secrets.randbelow(base**length)
    digits = []
    for _ in range(length):
        number, digit = divmod(number, base)
        digits.append(_SN_ALPHABET[digit])
    return "".join(digits)


class AccountExists(UsageError):
    code = "sandbox_account_exists"
    template = N_("The sandbox already has an account named {user}.")


@dataclass(frozen=True)
class Account:
    id: str
    user: str
    first_name: str
    balance: int


def iso(ts: float | None) -> str | None:
    """Millisecond ISO-8601 UTC: precise enough to order events in a torture run."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _hash_password(password: str, salt: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), 10_000).hex()


class Ledger:
    """The sandbox database. Every method is one transaction."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._token_secret = b""
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=5)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)
        self._bootstrap()

    def close(self) -> None:
        with self._lock:
            for reader in self._readers:
                reader.close()
            self._readers.clear()
            self._db.close()

    def _read(self, query: str, params: tuple[Any, ...] | list[Any] = ()) -> list[sqlite3.Row]:
        """One committed snapshot's rows, on this thread's own connection (opened once)."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA busy_timeout=5000")
            with self._lock:
                self._readers.append(db)
            self._local.db = db
        return db.execute(query, params).fetchall()

    def _read_one(self, query: str, params: tuple[Any, ...]) -> sqlite3.Row | None:
        rows = self._read(query, params)
        return rows[0] if rows else None

    @contextmanager
    def atomic(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _bootstrap(self) -> None:
        with self.atomic() as db:
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('token_secret', ?)", (secrets.token_hex(32),)
            )
            if db.execute("SELECT COUNT(*) FROM accounts").fetchone()[0] == 0:
                self._insert_account(db, DEFAULT_USER, DEFAULT_PASSWORD, DEFAULT_BALANCE)
            row = db.execute("SELECT value FROM meta WHERE key='token_secret'").fetchone()
            self._token_secret = bytes.fromhex(row[0])

    def reset(self) -> None:
        """Forget everything, as a fresh data dir would; old tokens stop working.

        No token is valid while the accounts go: the service keeps checked tokens under
        the secret that signed them, so it sees no account vanish under a valid one."""
        self._token_secret = b""
        with self.atomic() as db:
            for table in ("meta", "accounts", "files", "serials", "results"):
                db.execute(f"DELETE FROM {table}")
        self._bootstrap()

    # accounts and tokens

    def token_secret(self) -> bytes:
        """Kept in memory: only a reset changes it, and every call checks a token with
        it, so a read under the ledger's lock would wait on whichever commit holds it."""
        return self._token_secret

    @staticmethod
    def _insert_account(db: sqlite3.Connection, user: str, password: str, balance: int) -> str:
        salt = secrets.token_hex(16)
        account_id = str(uuid.uuid4())
        db.execute(
            "INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                account_id,
                user,
                user.capitalize(),
                salt,
                _hash_password(password, salt),
                balance,
                balance,
                time.time(),
            ),
        )
        return account_id

    def add_account(self, user: str, password: str, balance: int) -> Account:
        with self.atomic() as db:
            if db.execute("SELECT 1 FROM accounts WHERE user=?", (user,)).fetchone():
                raise AccountExists(user=user)
            self._insert_account(db, user, password, balance)
        account = self.account_by_user(user)
        assert account is not None
        return account

    def check_password(self, user: str, password: str) -> Account | None:
        row = self._read_one("SELECT * FROM accounts WHERE user=?", (user,))
        if row is None:
            return None
        if not hmac.compare_digest(row["password_hash"], _hash_password(password, row["salt"])):
            return None
        return self._account(row)

    def account(self, account_id: str) -> Account | None:
        row = self._read_one("SELECT * FROM accounts WHERE id=?", (account_id,))
        return None if row is None else self._account(row)

    def account_by_user(self, user: str) -> Account | None:
        row = self._read_one("SELECT * FROM accounts WHERE user=?", (user,))
        return None if row is None else self._account(row)

    @staticmethod
    def _account(row: sqlite3.Row) -> Account:
        return Account(row["id"], row["user"], row["first_name"], row["balance"])

    def notstamp_count(self, account_id: str) -> int:
        row = self._read_one(
            "SELECT COUNT(*) FROM serials WHERE account_id=? AND status='NOTSTAMP'", (account_id,)
        )
        return int(row[0]) if row else 0

    # files

    def add_file(self, account_id: str, name: str, data: bytes) -> str:
        file_id = uuid.uuid4().hex
        with self.atomic() as db:
            db.execute(
                "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?)",
                (
                    file_id,
                    account_id,
                    name,
                    len(data),
                    hashlib.sha256(data).hexdigest(),
                    time.time(),
                ),
            )
        return file_id

    def file(self, account_id: str, file_id: str) -> dict[str, Any] | None:
        row = self._read_one(
            "SELECT * FROM files WHERE id=? AND account_id=?", (file_id, account_id)
        )
        return None if row is None else dict(row)

    # serial numbers

    def buy_serial(self, account_id: str, fields: dict[str, str], sn_only: bool) -> str | None:
        """Spend one stamp and issue an SN; ``None`` when the balance is exhausted."""
        now = time.time()
        with self.atomic() as db:
            balance = db.execute(
                "SELECT balance FROM accounts WHERE id=?", (account_id,)
            ).fetchone()[0]
            if balance <= 0:
                return None
            sn = self._new_sn(db)
            seq = db.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM serials WHERE account_id=?", (account_id,)
            ).fetchone()[0]
            values = [fields.get(name) for name in _REQUEST_FIELDS]
            db.execute(
                "INSERT INTO serials (sn, account_id, seq, idfile, namadoc, nodoc, namafile,"
                " nilaidoc, tgldoc, namejidentitas, noidentitas, namedipungut, sn_only, status,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                " 'NOTSTAMP', ?, ?)",
                (sn, account_id, seq, *values, int(sn_only), now, now),
            )
            db.execute("UPDATE accounts SET balance = balance - 1 WHERE id=?", (account_id,))
        return sn

    @staticmethod
    def _new_sn(db: sqlite3.Connection) -> str:
        while True:
            sn = _random_sn()
            if not db.execute("SELECT 1 FROM serials WHERE sn=?", (sn,)).fetchone():
                return sn

    def serial(self, account_id: str, sn: str) -> dict[str, Any] | None:
        row = self._read_one("SELECT * FROM serials WHERE sn=? AND account_id=?", (sn, account_id))
        return None if row is None else dict(row)

    def serials(self, account_id: str, sn: str | None = None) -> list[dict[str, Any]]:
        query = "SELECT * FROM serials WHERE account_id=?"
        params: list[str] = [account_id]
        if sn:
            query += " AND sn=?"
            params.append(sn)
        return [dict(r) for r in self._read(query + " ORDER BY seq", params)]

    def reassign(self, account_id: str, sn: str, fields: dict[str, str]) -> str:
        """Give an unused SN to another document; returns '' or why it was refused."""
        with self.atomic() as db:
            row = db.execute(
                "SELECT status FROM serials WHERE sn=? AND account_id=?", (sn, account_id)
            ).fetchone()
            if row is None:
                return "SN tidak ditemukan"
            if row["status"] != "NOTSTAMP":
                return "SN sudah digunakan"
            db.execute(
                "UPDATE serials SET nodoc=?, namadoc=?, namafile=?, updated_at=?,"
                " reassign_count = reassign_count + 1 WHERE sn=?",
                (fields["nodoc"], fields["namadoc"], fields["namafile"], time.time(), sn),
            )
        return ""

    def record_stamp(
        self,
        account_id: str,
        sn: str,
        idfile: str,
        result_name: str,
        retention: float,
        now: float | None = None,
    ) -> None:
        now = time.time() if now is None else now
        with self.atomic() as db:
            db.execute(
                "UPDATE serials SET status='STAMP', stamped_at=?, updated_at=?, stamped_idfile=?,"
                " stamp_count = stamp_count + 1 WHERE sn=? AND account_id=?",
                (now, now, idfile, sn, account_id),
            )
            db.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?)",
                (result_name, account_id, sn, idfile, now, now + retention),
            )

    # results

    def result(self, account_id: str, name: str) -> dict[str, Any] | None:
        row = self._read_one(
            "SELECT * FROM results WHERE name=? AND account_id=?", (name, account_id)
        )
        return None if row is None else dict(row)

    def expire_results(self, now: float | None = None) -> list[str]:
        """Forget results past their retention; returns their names so the files go too."""
        cutoff = time.time() if now is None else now
        due = self._read_one("SELECT 1 FROM results WHERE expires_at <= ? LIMIT 1", (cutoff,))
        if due is None:  # the usual case: no write transaction, no wait for the writer
            return []
        with self.atomic() as db:
            names = [
                r[0]
                for r in db.execute("SELECT name FROM results WHERE expires_at <= ?", (cutoff,))
            ]
            db.execute("DELETE FROM results WHERE expires_at <= ?", (cutoff,))
        return names

    # the ledger view

    def snapshot(self) -> dict[str, Any]:
        """Everything the torture tests compare against, as plain JSON-able data."""
        with self._lock:
            accounts = self._db.execute("SELECT * FROM accounts ORDER BY created_at").fetchall()
            out = []
            for acc in accounts:
                serials = self.serials(acc["id"])
                files = self._db.execute(
                    "SELECT COUNT(*) FROM files WHERE account_id=?", (acc["id"],)
                ).fetchone()[0]
                out.append(
                    {
                        "user": acc["user"],
                        "id": acc["id"],
                        "granted": acc["granted"],
                        "balance": acc["balance"],
                        "spent": acc["granted"] - acc["balance"],
                        "files": files,
                        "serials": [_serial_view(s) for s in serials],
                    }
                )
        return {"generated_at": iso(time.time()), "accounts": out}


def _serial_view(row: dict[str, Any]) -> dict[str, Any]:
    view = {k: row[k] for k in ("sn", "seq", *_REQUEST_FIELDS, "status")}
    view["sn_only"] = bool(row["sn_only"])
    for key in ("created_at", "updated_at", "stamped_at"):
        view[key] = iso(row[key])
    view["stamped_idfile"] = row["stamped_idfile"]
    view["stamp_count"] = row["stamp_count"]
    view["reassign_count"] = row["reassign_count"]
    return view

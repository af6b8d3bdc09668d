"""A throw-away PostgreSQL cluster for the tests: initdb in a temp folder, one server on a
free loopback port, password authentication, stopped and deleted at the end.

PostgreSQL refuses to run as root, and CI runs as root: the cluster's folder is then
given to an unprivileged system user (``postgres`` from Debian's package, else
``nobody``) and ``initdb`` and the server run as that user. The tests connect over TCP
with a password, the way a counter reaches the shared database, so the code path that
takes the password from outside the URL is the one under test.

No server binaries, or a server that does not come up: off CI the PostgreSQL tests are
skipped with that reason; in CI (``CI`` set) they fail, because CI installs the server.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.services import required_here

SUPERUSER = "meterai"
START_TIMEOUT = 30.0


class ClusterUnavailable(Exception):
    """No PostgreSQL server can be started here; the message says why."""


@dataclass(frozen=True)
class Cluster:
    host: str
    port: int
    user: str
    password: str
    folder: Path

    def url(self, dbname: str = "postgres") -> str:
        """The database's address as an operator writes it: no password in it."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{dbname}"

    def env(self) -> dict[str, str]:
        """For a child process (a counter): libpq reads the password from ``PGPASSWORD``."""
        return {"PGPASSWORD": self.password}


def server_binaries() -> Path:
    """The folder holding ``initdb`` and ``postgres``: Debian keeps them off PATH."""
    installed = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if installed:
        return installed[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise ClusterUnavailable(
        "no PostgreSQL server binaries (initdb) found: install Debian's postgresql "
        "(scripts/bootstrap.sh does it when run as root)"
    )


def _run_as() -> pwd.struct_passwd | None:
    """The unprivileged account the server runs as, or ``None`` when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise ClusterUnavailable("running as root and no unprivileged user (postgres, nobody)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _give_to(folder: Path, account: pwd.struct_passwd | None) -> None:
    if account is not None:
        for path in (folder, *folder.rglob("*")):
            os.chown(path, account.pw_uid, account.pw_gid)


def _as_user(account: pwd.struct_passwd | None) -> dict[str, object]:
    if account is None:
        return {}
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _initdb(bindir: Path, folder: Path, password: str, account: pwd.struct_passwd | None) -> Path:
    pwfile = folder / "pwfile"
    pwfile.write_text(password + "\n")
    _give_to(folder, account)
    data = folder / "data"
    done = subprocess.run(
        [
            str(bindir / "initdb"),
            "--pgdata",
            str(data),
            "--username",
            SUPERUSER,
            "--pwfile",
            str(pwfile),
            "--auth",
            "scram-sha-256",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",
        ],
        capture_output=True,
        text=True,
        cwd=folder,
        **_as_user(account),  # type: ignore[call-overload]
    )
    pwfile.unlink()
    if done.returncode != 0:
        raise ClusterUnavailable(f"initdb failed: {done.stderr.strip()[-400:]}")
    return data


def _wait_ready(cluster: Cluster, server: subprocess.Popen[bytes], log: Path) -> None:
    import psycopg

    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if server.poll() is not None:
            raise ClusterUnavailable(f"the server stopped: {log.read_text()[-400:]}")
        try:
            psycopg.connect(cluster.url(), password=cluster.password, connect_timeout=2).close()
            return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise ClusterUnavailable(f"the server did not come up: {exc}") from exc
        time.sleep(0.1)


@contextlib.contextmanager
def running_cluster() -> Iterator[Cluster]:
    """Start a cluster, yield how to reach it, stop it and delete its folder."""
    bindir = server_binaries()
    account = _run_as()
    folder = Path(tempfile.mkdtemp(prefix="meterai-pg-"))
    server: subprocess.Popen[bytes] | None = None
    try:
        cluster = Cluster("127.0.0.1", _free_port(), SUPERUSER, secrets.token_hex(12), folder)
        data = _initdb(bindir, folder, cluster.password, account)
        log = folder / "server.log"
        with log.open("wb") as out:
            server = subprocess.Popen(
                [
                    str(bindir / "postgres"),
                    "-D",
                    str(data),
                    "-h",
                    cluster.host,
                    "-p",
                    str(cluster.port),
                    "-k",
                    str(folder),
                    # A throw-away cluster: losing it to a power cut costs nothing, and
                    # the counters' SIGKILLs do not touch the server.
                    "-c",
                    "fsync=off",
                    "-c",
                    "max_connections=200",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=folder,
                start_new_session=True,
                **_as_user(account),  # type: ignore[call-overload]
            )
        _wait_ready(cluster, server, log)
        yield cluster
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)  # fast shutdown: clients are cut off
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(folder, ignore_errors=True)


def fresh_database(cluster: Cluster) -> str:
    """A new empty database on ``cluster``; returns its URL (without the password)."""
    import psycopg

    name = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(cluster.url(), password=cluster.password, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return cluster.url(name)


def drop_database(cluster: Cluster, url: str) -> None:
    """Drop a database ``fresh_database`` made (each is some MB: hundreds would add up)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(cluster.url(), password=cluster.password, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- pytest fixtures (registered by tests/conftest.py) ---------------------------------


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """One cluster for the whole run; each test takes a fresh database on it."""
    try:
        with running_cluster() as cluster:
            yield cluster
    except ClusterUnavailable as exc:
        if required_here():
            pytest.fail(f"PostgreSQL is required in CI: {exc}", pytrace=False)
        pytest.skip(f"no PostgreSQL server could be started here: {exc}")


@pytest.fixture
def pg_url(pg_cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, empty database's URL; its password is in ``PGPASSWORD`` (libpq reads it)."""
    monkeypatch.setenv("PGPASSWORD", pg_cluster.password)
    url = fresh_database(pg_cluster)
    yield url
    drop_database(pg_cluster, url)

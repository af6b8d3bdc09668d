"""``meterai outbox password`` and ``meterai outbox migrate --to``, as an operator runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from meterai.outbox.postgres.address import DatabaseUrl
from meterai.outbox.postgres.connect import connect
from meterai.settings import resolve_paths
from tests.support.postgres import Cluster
from tests.support.sandbox import queue_documents

METERAI = Path(sys.executable).with_name("meterai")
REPO = Path(__file__).resolve().parents[3]


def _env(tmp_path: Path) -> dict[str, str]:
    """No password from libpq's own sources: only the keyring can supply it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_DATA_HOME=str(tmp_path / "home" / "share"),
        PGPASSFILE=os.devnull,
        PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring",
        PYTHONPATH=os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]),
    )
    return env


def _meterai(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(METERAI), *args], input=stdin, capture_output=True, text=True, env=env, timeout=120
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def test_the_password_from_the_keyring_moves_the_outbox(
    tmp_path: Path, pg_cluster: Cluster, pg_url: str
) -> None:
    data = tmp_path / "loket-1"
    queue_documents(resolve_paths(data), 2, tmp_path / "docs")
    env = _env(tmp_path)

    refused = _meterai(
        "--data-dir", str(data), "--lang", "en", "outbox", "migrate", "--to", pg_url, env=env
    )
    assert refused.returncode != 0
    assert "password" in refused.stderr.lower()

    stored = _meterai("outbox", "password", pg_url, env=env, stdin=pg_cluster.password + "\n")
    assert stored.returncode == 0, stored.stderr
    moved = _meterai(
        "--data-dir", str(data), "--lang", "en", "outbox", "migrate", "--to", pg_url, env=env
    )
    assert moved.returncode == 0, moved.stderr
    assert "Moved 2 requests" in moved.stdout
    with connect(DatabaseUrl.parse(pg_url)) as conn:
        assert conn.execute("SELECT count(*) FROM requests").fetchone() == (2,)
    for path in data.rglob("*"):  # the address is kept, never the password
        assert not path.is_file() or pg_cluster.password.encode() not in path.read_bytes()


@pytest.mark.parametrize(
    "url", ["postgresql://kasir:rahasia@127.0.0.1/meterai", "mysql://kasir@127.0.0.1/meterai"]
)
def test_a_bad_address_is_refused_in_words(tmp_path: Path, url: str) -> None:
    done = _meterai(
        "--data-dir",
        str(tmp_path / "d"),
        "--lang",
        "en",
        "outbox",
        "migrate",
        "--to",
        url,
        env=_env(tmp_path),
    )
    assert done.returncode == 3  # rejected input, before anything is opened
    assert "postgresql://" in done.stderr or "password" in done.stderr

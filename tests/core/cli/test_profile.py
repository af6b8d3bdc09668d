"""Issue 15 item 4 (the CLI part): the account's password in the keyring, and a test of
the connection that tells a refused password from an unreachable service.

Against a real sandbox over HTTPS on its own port, with an account of its own; the
keyring is an in-memory backend (tests only), and the password must be found in it and
in no file under the data folder.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from meterai.cli.main import run
from meterai.sandbox import SandboxServer
from meterai.settings import Paths, resolve_paths
from tests.support.account import PASSWORD, USER, account_provider, files_holding
from tests.support.keyring import MemoryKeyring, memory_keyring, no_keyring
from tests.support.sandbox import queue_documents

__all__ = ["account_provider", "memory_keyring", "no_keyring"]  # fixtures, used by name


@pytest.fixture
def data(tmp_path: Path, account_provider: SandboxServer) -> Paths:
    paths = resolve_paths(tmp_path / "data")
    ca = str(account_provider.ca_file)
    assert _cli(paths, "profile", "add", "real", "--kind", "peruri", "--base-url",
                account_provider.base_url, "--ca", ca) == 0  # fmt: skip
    return paths


def _cli(paths: Paths, *args: str, stdin: str | None = None) -> int:
    import sys

    saved = sys.stdin
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        return run(["--data-dir", str(paths.data_dir), "--lang", "en", *args])
    finally:
        sys.stdin = saved


def test_set_password_stores_it_in_the_keyring_and_in_no_file(
    data: Paths, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _cli(data, "profile", "set-password", "real", "--user", USER, "--stdin",
                stdin=PASSWORD + "\n")  # fmt: skip
    assert code == 0, capsys.readouterr()
    assert memory_keyring.store == {("meterai-desk:real", USER): PASSWORD}
    assert files_holding([data.data_dir], PASSWORD) == []
    assert USER in (data.settings_file).read_text(), "the user name is kept with the profile"

    assert _cli(data, "profile", "test", "real") == 0
    out = capsys.readouterr().out
    assert "ok      login: logged in as " in out
    assert "ok      balance: 7 stamps" in out
    assert "4a Surat Pernyataan" in out and "ok      signature trust:" in out
    assert files_holding([data.data_dir], PASSWORD) == []


def test_a_wrong_password_is_said_to_be_refused_not_unreachable(
    data: Paths, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(data, "profile", "set-password", "real", "--user", USER, "--stdin",
                stdin="wrong\n") == 0  # fmt: skip
    capsys.readouterr()
    assert _cli(data, "profile", "test", "real") == 1
    out = capsys.readouterr().out
    assert "FAILED  login: The stamping service refused the user name or password." in out
    assert "cannot be reached" not in out and "balance" not in out


def test_login_refused_during_sync_is_not_reported_as_unreachable(
    data: Paths, memory_keyring: MemoryKeyring, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(data, "profile", "set-password", "real", "--user", USER, "--stdin",
                stdin="wrong\n") == 0  # fmt: skip
    assert _cli(data, "profile", "use", "real") == 0
    queue_documents(data, 1, tmp_path / "docs")
    capsys.readouterr()
    assert _cli(data, "sync", "--once") == 1
    out = capsys.readouterr().out
    assert "provider unreachable" not in out, out
    # The connection line itself names the cause (the request's own line says it too).
    assert "The stamping service refused the user name or password." in out.splitlines(), out


def test_an_unreachable_service_is_said_to_be_unreachable(
    data: Paths, memory_keyring: MemoryKeyring, account_provider: SandboxServer,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    where = ["--base-url", "https://127.0.0.1:9", "--ca", str(account_provider.ca_file)]
    assert _cli(data, "profile", "add", "gone", "--kind", "peruri", "--user", USER, *where) == 0
    memory_keyring.set_password("meterai-desk:gone", USER, PASSWORD)
    capsys.readouterr()
    assert _cli(data, "profile", "test", "gone") == 1
    out = capsys.readouterr().out
    assert "FAILED  login: the stamping service cannot be reached:" in out, out


def test_a_profile_without_a_signing_ca_fails_the_trust_check(
    data: Paths, memory_keyring: MemoryKeyring, account_provider: SandboxServer,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    where = ["--base-url", account_provider.base_url, "--tls-ca", str(account_provider.ca_file)]
    assert _cli(data, "profile", "add", "nosign", "--kind", "peruri", "--user", USER, *where) == 0
    memory_keyring.set_password("meterai-desk:nosign", USER, PASSWORD)
    capsys.readouterr()
    assert _cli(data, "profile", "test", "nosign") == 1
    out = capsys.readouterr().out
    assert "FAILED  signature trust: Profile nosign has no signature trust root" in out
    assert "ok      login:" in out, "the other checks still run"


def test_set_password_needs_a_user_name_and_a_keyring(
    data: Paths, no_keyring: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(data, "profile", "set-password", "peruri", "--stdin", stdin="x\n") == 2
    assert "--user" in capsys.readouterr().err
    code = _cli(data, "profile", "set-password", "real", "--user", USER, "--stdin",
                stdin=PASSWORD + "\n")  # fmt: skip
    assert code == 1
    assert "No system keyring is available" in capsys.readouterr().err
    assert files_holding([data.data_dir], PASSWORD) == []


# --- profile list|show|test --json (issue 18 item 7) -------------------------------------


def test_profile_json_lists_shows_and_tests_without_any_password(
    data: Paths,
    memory_keyring: MemoryKeyring,
    account_provider: SandboxServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _cli(data, "profile", "set-password", "real", "--user", USER, "--stdin",
                stdin=PASSWORD + "\n") == 0  # fmt: skip
    capsys.readouterr()

    assert _cli(data, "profile", "list", "--json") == 0
    listed = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
    real = listed["real"]
    assert (real["kind"], real["user"], real["embedded"]) == ("peruri", USER, False)
    assert real["base_urls"]["backendservice"] == account_provider.base_url
    assert real["sign_ca_files"] == [str(account_provider.ca_file)]

    assert _cli(data, "profile", "show", "real", "--json") == 0
    assert json.loads(capsys.readouterr().out) == real

    assert _cli(data, "profile", "test", "real", "--json") == 0
    tested = json.loads(capsys.readouterr().out)
    assert (tested["profile"], tested["ok"]) == ("real", True)
    assert {"login", "balance", "signature trust"} <= {c["name"] for c in tested["checks"]}
    assert all(c["ok"] for c in tested["checks"])
    assert PASSWORD not in json.dumps([listed, tested])

"""The admin API (``/_sandbox/...``) answers only callers holding its starter's secret.

Before: any local process could create an account with any balance, read the ledger
or reset it, on the sandbox of ``meterai sandbox serve`` and on the random port of the
one inside ``meterai sync``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import httpx
import pytest

from meterai.sandbox import SandboxServer
from meterai.sandbox.admin import ADMIN_HEADER, SECRET_FILE, ensure_secret
from meterai.settings import Paths, Settings
from meterai.sync.runner import SyncRunner

ADMIN_CALLS = (
    ("POST", "/_sandbox/accounts", {"user": "rich", "password": "p", "balance": 10**6}),
    ("POST", "/_sandbox/reset", None),
    ("GET", "/_sandbox/ledger", None),
    ("PUT", "/_sandbox/faults", {}),
    ("DELETE", "/_sandbox/faults", None),
)


def _anonymous(server: SandboxServer) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, verify=server.ssl_context())


def _assert_guarded(server: SandboxServer) -> None:
    with _anonymous(server) as anyone:
        for method, path, body in ADMIN_CALLS:
            assert anyone.request(method, path, json=body).status_code == 401, path
            wrong = {ADMIN_HEADER: "not-the-secret"}
            assert anyone.request(method, path, json=body, headers=wrong).status_code == 401
        assert (
            anyone.post("/api/users/login", json={"user": "rich", "password": "p"}).json()[
                "statusCode"
            ]
            == "02"
        ), "the refused call created the account anyway"


def test_admin_calls_without_the_secret_get_401(sandbox: SandboxServer) -> None:
    _assert_guarded(sandbox)
    with sandbox.admin_client() as starter:
        created = starter.post("/_sandbox/accounts", json={"user": "granted", "balance": 1})
        assert created.status_code == 200, created.text
        assert any(
            a["user"] == "granted" for a in starter.get("/_sandbox/ledger").json()["accounts"]
        )


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_the_secret_is_readable_by_its_owner_only(sandbox: SandboxServer) -> None:
    mode = (sandbox.data_dir / SECRET_FILE).stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_a_folder_keeps_one_secret_and_a_loose_file_is_tightened(tmp_path: Path) -> None:
    first = ensure_secret(tmp_path)
    assert len(first) >= 32
    if os.name == "posix":
        os.chmod(tmp_path / SECRET_FILE, 0o644)
    assert ensure_secret(tmp_path) == first
    if os.name == "posix":
        assert stat.S_IMODE((tmp_path / SECRET_FILE).stat().st_mode) == 0o600


def test_the_sandbox_inside_sync_guards_its_admin_api_on_its_random_port(paths: Paths) -> None:
    runner = SyncRunner(paths, Settings())
    try:
        runner.open()  # the default profile: the embedded sandbox on a free port
        link = runner._link
        assert link is not None and link.sandbox is not None
        server = link.sandbox.server
        assert server is not None and server.port > 0
        _assert_guarded(server)
    finally:
        runner.close()


def test_a_forwarded_for_header_does_not_change_who_the_caller_is(sandbox: SandboxServer) -> None:
    """The sandbox is nobody's proxy: the peer of the socket is the caller.

    Before: uvicorn took ``X-Forwarded-For`` from any loopback peer as the client's
    address, so a local caller could make the admin guard see someone else (and the
    fault layer's drop of "this connection" miss it)."""
    with sandbox.admin_client() as starter:
        answer = starter.get("/_sandbox/ledger", headers={"X-Forwarded-For": "203.0.113.9"})
    assert answer.status_code == 200, answer.text

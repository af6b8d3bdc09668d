"""Running the sandbox: loopback only, state that survives a restart, the CLI around it."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from meterai.cli import sandbox as cli_sandbox
from meterai.cli.context import CliContext
from meterai.sandbox import NotLoopback, SandboxServer
from meterai.sandbox.ledger import AccountExists
from meterai.settings import resolve_paths
from tests.support.api_client import ApiClient
from tests.support.pdfs import make_pdf


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.org"])
def test_non_loopback_bind_is_refused(tmp_path: Path, host: str) -> None:
    with pytest.raises(NotLoopback) as caught:
        SandboxServer(tmp_path, host=host)
    assert host in str(caught.value) and "127.0.0.1" in str(caught.value)
    assert not (tmp_path / "ca").exists()


def test_state_and_ca_survive_a_restart(tmp_path: Path) -> None:
    with SandboxServer(tmp_path / "sb") as first:
        ca = first.ca_file.read_bytes()
        api = ApiClient(first)
        api.login()
        up = api.upload(make_pdf(tmp_path / "a.pdf").read_bytes())
        sn = api.buy(up["id"], "BEFORE").json()["result"]["sn"]
        token = api.token
        api.close()
    with SandboxServer(tmp_path / "sb") as second:
        assert second.ca_file.read_bytes() == ca
        api = ApiClient(second)
        api.token = token  # tokens outlive a restart, as the provider's do
        listed = api.http.get("/api/chanel/stamp/ext", params={"filter": sn}, headers=api.auth)
        assert listed.json()["result"]["data"][0]["status"] == "NOTSTAMP"
        assert api.stamp(up["id"], sn).json()["status"] == "True"
        api.close()


def test_plain_http_for_debugging(tmp_path: Path) -> None:
    with SandboxServer(tmp_path / "sb", tls=False) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        import httpx

        assert (
            httpx.post(
                server.base_url + "/api/users/login", json={"user": "demo", "password": "demo"}
            ).json()["statusCode"]
            == "00"
        )


def _run(args: list[str], data_dir: Path) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    cli_sandbox.register(sub)
    ns = parser.parse_args(args)
    out = io.StringIO()
    ctx = CliContext(paths=resolve_paths(data_dir), out=out, err=io.StringIO())
    code = ns.func(ns, ctx)
    return code, out.getvalue()


def test_cli_account_add_and_ledger(tmp_path: Path) -> None:
    code, _ = _run(
        ["sandbox", "account", "add", "kiosk1", "--balance", "5", "--password", "pw"], tmp_path
    )
    assert code == 0
    with pytest.raises(AccountExists):
        _run(["sandbox", "account", "add", "kiosk1", "--balance", "1", "--password", "x"], tmp_path)
    code, out = _run(["sandbox", "ledger", "--json"], tmp_path)
    users = {a["user"]: a for a in json.loads(out)["accounts"]}
    assert users["kiosk1"]["balance"] == 5 and users["demo"]["balance"] == 1000
    assert (tmp_path / "sandbox" / "sandbox.sqlite3").exists()
    with SandboxServer(tmp_path / "sandbox") as server:
        api = ApiClient(server)
        assert api.login("kiosk1", "pw")["statusCode"] == "00"
        api.close()


def test_cli_sandbox_data_dir_option(tmp_path: Path) -> None:
    own = tmp_path / "own"
    _run(
        [
            "sandbox",
            "account",
            "add",
            "u",
            "--balance",
            "2",
            "--password",
            "p",
            "--data-dir",
            str(own),
        ],
        tmp_path,
    )
    assert (own / "sandbox.sqlite3").exists()
    _, out = _run(["sandbox", "ledger", "--data-dir", str(own)], tmp_path)
    assert any(line.startswith("u: ") and " 2 " in line for line in out.splitlines())

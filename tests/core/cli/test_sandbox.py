"""``meterai sandbox``: test accounts, the ledger, and its own data folder."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from meterai.cli import sandbox as cli_sandbox
from meterai.cli.context import CliContext
from meterai.sandbox import SandboxServer
from meterai.sandbox.ledger import AccountExists
from meterai.settings import resolve_paths
from tests.support.api_client import ApiClient


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

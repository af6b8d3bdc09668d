"""``meterai sandbox``: test accounts, the ledger, and its own data folder."""

from __future__ import annotations

import argparse
import io
import json
import re
import selectors
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import pytest

from meterai.cli import sandbox as cli_sandbox
from meterai.cli.context import CliContext
from meterai.sandbox import SandboxServer
from meterai.sandbox.ledger import AccountExists
from meterai.settings import resolve_paths
from tests.support.api_client import ApiClient
from tests.support.pdfs import make_pdf
from tests.support.verifying import check_with_pyhanko

READY = re.compile(r"^sandbox ready: (?P<url>https://127\.0\.0\.1:\d+) ca: (?P<ca>.+)$")


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


def _serve(data_dir: Path, *options: str) -> subprocess.Popen[str]:
    """``meterai sandbox serve`` in a process of its own, stopped by closing its stdin."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "meterai.cli.main",
            "--lang",
            "en",
            "sandbox",
            "serve",
            "--data-dir",
            str(data_dir),
            "--stop-when-stdin-closes",
            *options,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _ready(proc: subprocess.Popen[str], timeout: float = 60.0) -> tuple[str, Path]:
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    assert selector.select(timeout), f"no ready line within {timeout} s"
    match = READY.match(proc.stdout.readline().strip())
    assert match, "the ready line did not parse"
    return match["url"], Path(match["ca"])


def _signing_workers(pid: int) -> list[psutil.Process]:
    """The server's children that run multiprocessing's spawned workers (not its tracker)."""
    return [
        child
        for child in psutil.Process(pid).children()
        if "multiprocessing.spawn" in " ".join(child.cmdline())
    ]


def _stop(proc: subprocess.Popen[str]) -> None:
    _, err = proc.communicate(timeout=30)  # closes its stdin: the sandbox stops
    assert proc.returncode == 0, err


@pytest.mark.slow  # two workers import pyHanko as they start
def test_serve_signs_in_the_asked_number_of_worker_processes(tmp_path: Path) -> None:
    proc = _serve(tmp_path / "sandbox", "--signing-processes", "2")
    try:
        base_url, ca_file = _ready(proc)
        workers = _signing_workers(proc.pid)
        assert len(workers) == 2
        before = sum(w.cpu_times().user for w in workers)
        verify = ssl.create_default_context(cafile=str(ca_file))
        api = ApiClient.over(httpx.Client(base_url=base_url, verify=verify, timeout=60))
        api.login()
        pdf = make_pdf(tmp_path / "doc.pdf", pages=2)
        sn, stamped = api.full_stamp(pdf, page=2)
        api.close()
        assert sum(w.cpu_times().user for w in _signing_workers(proc.pid)) > before
        report = check_with_pyhanko(stamped, ca_file)
        assert report.bottom_line and report.reason == f"[{sn}] CASN 2024"
    finally:
        if proc.poll() is None:
            _stop(proc)


def test_serve_signs_on_its_own_threads_by_default(tmp_path: Path) -> None:
    proc = _serve(tmp_path / "sandbox")
    try:
        _ready(proc)
        assert _signing_workers(proc.pid) == []
    finally:
        _stop(proc)


@pytest.mark.parametrize("value", ["-1", "two"])
def test_serve_refuses_a_count_of_signing_processes_that_is_not_one(
    tmp_path: Path, value: str
) -> None:
    proc = _serve(tmp_path / "sandbox", "--signing-processes", value)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert f"--signing-processes takes a number of processes from 0, not '{value}'." in err
    assert "Traceback" not in err
    assert not (tmp_path / "sandbox").exists()

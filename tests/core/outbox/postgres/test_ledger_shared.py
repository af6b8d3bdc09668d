"""One ledger for the account: on a shared database ``meterai report`` at any counter is
the whole day of every counter, per counter and per customer, against the provider's list."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from meterai.cli.report import ledger_json
from meterai.kiosk.ledger import ask_provider, build_ledger
from meterai.outbox import Outbox
from meterai.sandbox import SandboxServer
from meterai.settings import Paths, load_settings, resolve_paths
from tests.support.cli import run_in_process
from tests.support.sandbox import Admin, drain, point_at, queue_documents


def _counter(root: Path, name: str, sandbox: SandboxServer) -> Paths:
    paths = resolve_paths(root / name)
    point_at(paths, sandbox)
    paths.data_dir.joinpath("counter-name").write_text(name + "\n")
    return paths


def test_every_counter_reports_the_whole_accounts_day(
    tmp_path: Path,
    pg_url: str,
    sandbox: SandboxServer,
    admin: Admin,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("METERAI_DATABASE", pg_url)
    first = _counter(tmp_path, "loket-1", sandbox)
    second = _counter(tmp_path, "loket-2", sandbox)
    queue_documents(first, 2, tmp_path / "l1-budi", customer="budi")
    queue_documents(first, 1, tmp_path / "l1-siti", customer="siti")
    queue_documents(second, 1, tmp_path / "l2-budi", customer="budi")
    drain(second)
    drain(first)
    drain(second)  # each owner exports its own customers' results

    reports = {}
    for paths in (first, second):
        code, out, err = run_in_process(paths, "report")
        assert code == 0, err
        reports[paths.data_dir.name] = list(csv.reader(io.StringIO(out)))

    assert reports["loket-1"] == reports["loket-2"]  # one ledger, whoever asks
    table = reports["loket-1"]
    lines = [r for r in table[1:] if r[0] in ("budi", "siti")]
    assert sorted((r[6], r[0]) for r in lines) == [
        ("loket-1", "budi"),
        ("loket-1", "budi"),
        ("loket-1", "siti"),
        ("loket-2", "budi"),
    ]
    assert {r[7] for r in lines} == {"stamped"}
    assert sorted(r[3] for r in lines) == sorted(s["sn"] for s in admin.serials())
    assert [r for r in table if r[0] in ("TOTAL", "COUNTER")] == [
        ["TOTAL", "4", "", "", "", "40000", "", ""],
        ["COUNTER", "3", "", "", "", "30000", "loket-1", ""],
        ["COUNTER", "1", "", "", "", "10000", "loket-2", ""],
    ]


def test_report_json_has_each_counters_customers_apart(
    tmp_path: Path,
    pg_url: str,
    sandbox: SandboxServer,
    admin: Admin,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("METERAI_DATABASE", pg_url)
    first = _counter(tmp_path, "loket-1", sandbox)
    second = _counter(tmp_path, "loket-2", sandbox)
    queue_documents(first, 1, tmp_path / "a", customer="budi")
    queue_documents(second, 1, tmp_path / "b", customer="budi")
    drain(first)
    drain(second)

    box = Outbox.open(second)
    try:
        ledger = build_ledger(
            box, dt.date.today(), ask_provider(second, load_settings(second), box), "unused"
        )
    finally:
        box.close()
    body = json.loads(json.dumps(ledger_json(ledger)))  # what ``report --json`` prints
    assert body["reconciled"] is True and body["unaccounted"] == []
    assert body["by_customer"] == [
        {"counter": "loket-1", "customer": "budi", "count": 1, "amount": 10000},
        {"counter": "loket-2", "customer": "budi", "count": 1, "amount": 10000},
    ]

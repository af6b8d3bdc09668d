"""``meterai report`` (cli/report.py) offline: what it says when the provider's balance
and list cannot be asked. The report after a real kiosk day: tests/core/kiosk/test_report.py;
the ledger behind it: tests/core/kiosk/test_ledger.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meterai.settings import Paths, resolve_paths
from tests.support.cli import run_in_process


@pytest.fixture
def kiosk_paths(tmp_path: Path) -> Paths:
    """A data folder that never reached a provider (``--offline`` asks none)."""
    return resolve_paths(tmp_path / "data")


def test_the_report_offline_says_the_balance_is_unknown(tmp_path: Path, kiosk_paths: Paths) -> None:
    code, out, err = run_in_process(kiosk_paths, "report", "--offline", "--day", "2026-01-02")
    assert code == 0
    assert out.splitlines()[-1] == "BALANCE,unknown,,,,,,"
    assert "balance is unknown" in err


def test_the_report_json_offline_says_what_is_unknown_as_null(
    tmp_path: Path, kiosk_paths: Paths
) -> None:
    args = ("report", "--offline", "--json", "--day", "2026-01-02")
    code, out, err = run_in_process(kiosk_paths, *args)
    assert code == 0
    ledger = json.loads(out)
    assert ledger["day"] == "2026-01-02"
    assert (ledger["count"], ledger["lines"], ledger["total"]) == (0, [], 0)
    assert (ledger["balance"], ledger["reconciled"], ledger["unaccounted"]) == (None, None, None)
    assert "balance is unknown" in err, "the warnings stay on standard error"

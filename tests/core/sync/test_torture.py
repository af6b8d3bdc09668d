"""SIGKILL the real sync process at every protocol point and at random times; nothing is
lost, nothing bought or stamped twice, every output verifies (the sandbox ledger judges)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from meterai.sandbox import SandboxServer
from meterai.settings import Paths, resolve_paths
from tests.support.sandbox import Admin, point_at, queue_documents
from tests.support.torture_kit import POINTS, drain, judge, kill_run, random_kills


def _fresh(tmp_path: Path, provider: SandboxServer, count: int) -> Paths:
    paths = resolve_paths(tmp_path / "client")
    point_at(paths, provider)
    queue_documents(paths, count, tmp_path / "docs")
    return paths


def _assert_clean(paths: Paths, provider: SandboxServer, admin: Admin, count: int) -> None:
    drain(paths)
    tally = judge(paths, provider, admin.http.get("/_sandbox/ledger").json(), count)
    assert (tally.lost, tally.double_bought, tally.double_stamped, tally.unverified) == (
        0,
        0,
        0,
        0,
    ), tally.problems


@pytest.mark.parametrize("point", POINTS)
def test_kill_at_protocol_point(
    point: str, tmp_path: Path, provider: SandboxServer, admin: Admin
) -> None:
    paths = _fresh(tmp_path, provider, 2)
    assert kill_run(paths, crash_at=point) == 1, f"{point} was never reached"
    _assert_clean(paths, provider, admin, 2)


@pytest.mark.parametrize("point", ["buy:after_call", "stamp:after_call", "download:mid"])
def test_kill_at_point_while_answers_are_lost(
    point: str, tmp_path: Path, provider: SandboxServer, admin: Admin
) -> None:
    admin.faults(
        {
            "seed": 3,
            "rules": [
                {"endpoint": "*", "fault": "drop_after_commit", "probability": 0.3},
                {
                    "endpoint": "*",
                    "fault": "http_error",
                    "status": 503,
                    "retry_after": 1,
                    "probability": 0.1,
                },
            ],
        }
    )
    paths = _fresh(tmp_path, provider, 2)
    kill_run(paths, crash_at=point)
    admin.faults({})
    _assert_clean(paths, provider, admin, 2)


def test_random_time_kills(tmp_path: Path, provider: SandboxServer, admin: Admin) -> None:
    paths = _fresh(tmp_path, provider, 32)
    kills = random_kills(paths, random.Random(20261124), 6)
    assert kills == 6, f"only {kills} of 6 runs were still working when killed"
    _assert_clean(paths, provider, admin, 32)

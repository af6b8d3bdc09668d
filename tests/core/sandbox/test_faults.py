"""The fault plan: rules parsed strictly, fired by seed, count and skip, on its own clock."""

from __future__ import annotations

from typing import Any

import pytest

from meterai.sandbox.faults import FaultConfigError, FaultPlan
from tests.support.api_client import ApiClient


def _rule(endpoint: str, fault: str, **extra: Any) -> dict[str, Any]:
    return {"seed": 7, "rules": [{"endpoint": endpoint, "fault": fault, **extra}]}


def test_queue_mode_for_t_seconds_ends_when_the_time_has_passed() -> None:
    """Moved on ``decide``'s clock instead of a sleep over the HTTP sandbox: the window opens
    on the first matching call, the position shrinks with the time left, and it closes."""
    plan = FaultPlan.from_json(_rule("saldopos", "queue", seconds=30, retry_after=1))
    first = plan.decide("saldopos", now=100.0)
    later = plan.decide("saldopos", now=120.0)
    assert [f.fault for f in first + later] == ["queue", "queue"]
    assert (first[0].queue_position, later[0].queue_position) == (31, 11)
    assert plan.decide("saldopos", now=130.0) == []


def _pattern(api: ApiClient, seed: int) -> tuple[list[int], list[dict[str, Any]]]:
    api.faults(
        {
            "seed": seed,
            "rules": [
                {"endpoint": "jenisdoc", "fault": "http_error", "status": 500, "probability": 0.5},
                {
                    "endpoint": "*",
                    "fault": "latency",
                    "seconds": 0.0,
                    "jitter": 0.01,
                    "probability": 0.3,
                },
            ],
        }
    )
    codes = [api.http.get("/jenisdoc", headers=api.auth).status_code for _ in range(16)]
    fired = api.http.get("/_sandbox/faults").json()["fired"]
    return codes, fired


def test_a_seed_replays_the_same_faults(api: ApiClient) -> None:
    codes, fired = _pattern(api, 11)
    assert 0 < codes.count(500) < 16
    assert _pattern(api, 11) == (codes, fired)
    assert _pattern(api, 12)[0] != codes


def test_skip_and_count(api: ApiClient) -> None:
    api.faults(_rule("jenisdoc", "http_error", status=500, skip=2, count=1))
    codes = [api.http.get("/jenisdoc", headers=api.auth).status_code for _ in range(4)]
    assert codes == [200, 200, 500, 200]


def test_admin_api_rejects_bad_rules_and_appends(api: ApiClient) -> None:
    bad = api.http.put("/_sandbox/faults", json=_rule("jenisdoc", "explode"))
    assert bad.status_code == 400 and "explode" in bad.json()["error"]
    added = api.http.post("/_sandbox/faults", json={"endpoint": "login", "fault": "hang"})
    assert [r["fault"] for r in added.json()["rules"]] == ["hang"]
    assert api.http.delete("/_sandbox/faults").json()["rules"] == []


def test_plan_validation() -> None:
    with pytest.raises(FaultConfigError):
        FaultPlan.from_json({"rules": [{"endpoint": "nowhere", "fault": "hang"}]})
    with pytest.raises(FaultConfigError):
        FaultPlan.from_json({"rules": [{"endpoint": "login", "fault": "queue"}]})
    with pytest.raises(FaultConfigError):
        FaultPlan.from_json({"rules": [{"endpoint": "login", "fault": "hang", "oops": 1}]})
    with pytest.raises(FaultConfigError):
        FaultPlan.from_json({"rules": [{"endpoint": "stampv2", "fault": "rewrite_json"}]})

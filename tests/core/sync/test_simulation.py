"""The seeded simulation (a fixed-seed subset in CI; ``bench/torture.py`` runs 10,000 seeds)."""

from __future__ import annotations

import pytest

from meterai.sync.simulation import Faults, run_seed


@pytest.mark.parametrize("block", range(4))
def test_seeds_with_crashes_outages_and_restores(block: int) -> None:
    violations = {}
    for seed in range(block * 40, block * 40 + 40):
        result = run_seed(seed, requests=30)
        if result.violations:
            violations[seed] = result.violations[:3]
    assert not violations


def test_without_restores_every_request_buys_exactly_once() -> None:
    for seed in range(1000, 1030):
        result = run_seed(seed, requests=30, restores=False)
        assert not result.violations, (seed, result.violations[:3])
        assert result.bought == result.requests == result.done


def test_a_seed_replays_exactly() -> None:
    first, second = run_seed(77, requests=20), run_seed(77, requests=20)
    assert (first.steps, first.crashes, first.bought) == (
        second.steps,
        second.crashes,
        second.bought,
    )


def test_the_checker_catches_a_double_purchase(monkeypatch: pytest.MonkeyPatch) -> None:
    """A simulation that cannot fail proves nothing: break the reconciliation, expect reports."""
    from meterai.sync import engine

    monkeypatch.setattr(engine.Engine, "reconcile", lambda self: engine.ReconcileReport())
    failures = [
        run_seed(s, requests=20, faults=Faults(lost_after_commit=0.3)).violations for s in range(5)
    ]
    assert any(failures)

"""Full-jitter backoff: the window doubles to a cap, a draw anywhere in it, Retry-After first."""

from __future__ import annotations

import random

import pytest

from meterai.sync.backoff import Backoff


class Edge:
    """Draws the window's far edge, so the window itself is what a test sees."""

    def uniform(self, a: float, b: float) -> float:
        return b


@pytest.mark.parametrize(("attempts", "window"), [(0, 1.0), (1, 2.0), (3, 8.0), (8, 256.0)])
def test_the_window_doubles_with_each_attempt(attempts: int, window: float) -> None:
    assert Backoff(base=1.0, cap=300.0).delay(attempts, Edge()) == window


def test_the_window_stops_at_the_cap_even_after_very_many_attempts() -> None:
    backoff = Backoff(base=1.0, cap=300.0)
    assert backoff.delay(9, Edge()) == 300.0
    assert backoff.delay(10_000, Edge()) == 300.0  # no overflow from 2**10000


def test_a_crowd_that_failed_together_is_spread_over_the_window() -> None:
    """Full jitter: a CASN deadline's clients do not come back in lockstep."""
    rng = random.Random(4)
    delays = [Backoff(base=1.0, cap=300.0).delay(6, rng) for _ in range(500)]
    assert 0 <= min(delays) < 5 and 59 < max(delays) <= 64
    assert len({round(d, 3) for d in delays}) > 450


def test_the_providers_retry_after_is_a_floor_not_a_ceiling() -> None:
    backoff = Backoff(base=1.0, cap=300.0)
    assert backoff.delay(0, Edge(), retry_after=90) == 90
    assert backoff.delay(8, Edge(), retry_after=90) == 256.0

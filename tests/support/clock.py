"""A clock a test moves by hand: a token's lifetime or a result's retention passes at once."""

from __future__ import annotations

import time


class ManualClock:
    """Wall-clock seconds that stand still until ``advance`` moves them."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

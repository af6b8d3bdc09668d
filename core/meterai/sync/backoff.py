"""Full-jitter exponential backoff (AWS's "Exponential Backoff and Jitter"), Retry-After first.

Full jitter spreads a crowd of clients that failed together (a CASN deadline) over the
whole window instead of letting them return in lockstep.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Random(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


@dataclass(frozen=True)
class Backoff:
    base: float = 1.0
    cap: float = 300.0

    def delay(self, attempts: int, rng: Random, retry_after: float | None = None) -> float:
        window = min(self.cap, self.base * (2 ** min(attempts, 30)))
        delay = rng.uniform(0, window)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return delay

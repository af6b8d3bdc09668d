"""The low-balance warning, and the last balance seen, for whoever shows them.

A kiosk that runs out of stamps mid-morning turns customers away until the
distributor tops the account up, which takes hours: the warning has to come while
there is still time. ``low_balance`` is the one rule the CLI and the GUI both call.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from meterai.i18n import N_
from meterai.messages import Message
from meterai.outbox.store import Outbox
from meterai.settings import Settings

SETTING = "low_balance"
DEFAULT_THRESHOLD = 20
CACHE_KEY = "balance"


@dataclass(frozen=True)
class LowBalance:
    balance: int
    threshold: int

    def message(self) -> Message:
        return Message(
            N_(
                "Low balance: {balance} stamps left (warning at {threshold}). "
                "Ask the distributor for a top-up now."
            ),
            {"balance": self.balance, "threshold": self.threshold},
        )


def low_balance_threshold(settings: Settings) -> int:
    """``settings.extra["low_balance"]``; a value that is not a whole number means the default,
    so a typo in the settings file never silences the warning."""
    value = settings.extra.get(SETTING, DEFAULT_THRESHOLD)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return DEFAULT_THRESHOLD
    return value


def low_balance(balance: int | None, settings: Settings) -> LowBalance | None:
    """A warning when ``balance`` is known and at or below the threshold; else ``None``."""
    if balance is None:
        return None
    threshold = low_balance_threshold(settings)
    return LowBalance(balance, threshold) if balance <= threshold else None


@dataclass(frozen=True)
class BalanceReading:
    saldo: int
    at: float


def record_balance(outbox: Outbox, saldo: int, at: float | None = None) -> None:
    """Keep the last probed balance, so ``meterai report`` can show it while a kiosk holds
    the sync lock (and the network)."""
    outbox.cache_put(CACHE_KEY, {"saldo": saldo, "at": time.time() if at is None else at})


def cached_balance(outbox: Outbox) -> BalanceReading | None:
    raw = outbox.cache_get(CACHE_KEY)
    if not isinstance(raw, dict):
        return None
    saldo, at = raw.get("saldo"), raw.get("at")
    if not isinstance(saldo, int) or not isinstance(at, int | float):
        return None
    return BalanceReading(saldo, float(at))

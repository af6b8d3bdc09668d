"""The low-balance rule the CLI and the GUI both call."""

from __future__ import annotations

import pytest

from meterai.balance import low_balance
from meterai.settings import Settings


@pytest.mark.parametrize(
    ("extra", "balance", "warned"),
    [({}, 20, True), ({}, 21, False), ({"low_balance": 100}, 99, True), ({}, None, False)],
)
def test_the_low_balance_rule(extra: dict[str, int], balance: int | None, warned: bool) -> None:
    warning = low_balance(balance, Settings(extra=dict(extra)))
    assert (warning is not None) is warned
    if warning is not None:
        assert "Low balance" in warning.message().english()

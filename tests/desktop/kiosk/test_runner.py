"""The GUI's kiosk runs with the operator's own settle time, as `meterai kiosk --settle`."""

from __future__ import annotations

from pathlib import Path

import pytest

from meterai.kiosk.setup import KioskSetup
from meterai.settings import Paths, Settings
from meterai_desk.kiosk.runner import KioskRunner, kiosk_factory


@pytest.mark.parametrize(("settle", "grace"), [(2.0, 0.3), (12.5, 0.3), (0.5, 0.3)])
def test_the_kiosk_waits_as_long_as_the_operator_chose(
    paths: Paths, tmp_path: Path, settle: float, grace: float
) -> None:
    setup = KioskSetup(
        tmp_path / "in", tmp_path / "out", tmp_path / "rejected", "3", 4, 20, settle=settle
    )
    runner = kiosk_factory(setup, lambda _note: None)(paths, Settings(), lambda _event: None)
    assert isinstance(runner, KioskRunner)
    rules = runner.kiosk.config.rules
    assert (rules.settle, rules.grace) == (settle, grace)

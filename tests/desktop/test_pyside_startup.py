"""The quick module check answers as PySide6's own does, for every module loaded so far."""

from __future__ import annotations

import sys

import pytest

from meterai_desk import pyside_startup


def _feature() -> object:
    return sys.modules["shibokensupport.feature"]


def test_pyside_still_checks_each_import_and_ours_is_in_front() -> None:
    assert pyside_startup.apply(), "PySide6 no longer scans imports: remove pyside_startup"
    assert getattr(_feature()._mod_uses_pyside, "_meterai_quick", False)  # type: ignore[attr-defined]


def test_the_quick_check_agrees_with_pysides_on_every_loaded_module() -> None:
    current = _feature()._mod_uses_pyside  # type: ignore[attr-defined]
    original = getattr(current, "__wrapped__", current)
    quick = pyside_startup.quick_check(original)
    modules = [m for m in list(sys.modules.values()) if m is not None]
    assert len(modules) > 100
    disagree = [m.__name__ for m in modules if quick(m) != original(m)]
    assert disagree == []
    assert any(quick(m) for m in modules), "no module mentions PySide6: the check is vacuous"


@pytest.mark.parametrize("name", ["meterai_desk.main_window", "meterai.settings", "json"])
def test_known_modules_are_told_apart(name: str) -> None:
    __import__(name)
    check = _feature()._mod_uses_pyside  # type: ignore[attr-defined]
    assert check(sys.modules[name]) is (name == "meterai_desk.main_window")

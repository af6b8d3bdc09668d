"""The quick module check answers as PySide6's own does, for every module loaded so far."""

from __future__ import annotations

import builtins
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


def test_core_and_standard_library_modules_are_answered_without_reading_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Reading every imported file was still 3-5 ms of the window's start."""
    import json.decoder

    import meterai.settings
    import meterai_desk.main_window

    opened: list[str] = []
    real_open = builtins.open

    def counting_open(file: object, *args: object, **kwargs: object) -> object:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(builtins, "open", counting_open)
    check = _feature()._mod_uses_pyside  # type: ignore[attr-defined]
    assert check(meterai.settings) is False
    assert check(json.decoder) is False
    assert opened == []
    assert check(meterai_desk.main_window) is True  # still read: it names PySide6
    assert opened != []

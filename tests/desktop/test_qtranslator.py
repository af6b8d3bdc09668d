"""Qt's stock strings in an installed bundle, which has no ``lrelease`` to compile them."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QTranslator

from meterai_desk import qtranslator


def test_a_bundle_uses_its_shipped_catalogue_without_lrelease(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the bundle needed PySide6's lrelease at run time, and lrelease links QtQml."""
    monkeypatch.setenv("METERAI_CACHE_DIR", str(tmp_path / "build"))
    compiled = qtranslator.qm_file("id")  # what the PyInstaller spec does at build time
    assert compiled is not None
    shipped = tmp_path / "bundle" / "meterai_desk" / "qm"
    shipped.mkdir(parents=True)
    compiled.rename(shipped / compiled.name)

    monkeypatch.setattr(qtranslator, "SHIPPED_DIR", shipped)
    monkeypatch.setenv("METERAI_CACHE_DIR", str(tmp_path / "user-cache"))
    monkeypatch.setattr(qtranslator, "_lrelease", lambda: str(tmp_path / "no-lrelease"))
    found = qtranslator.qm_file("id")

    assert found == shipped / compiled.name
    assert not (tmp_path / "user-cache").exists()  # nothing compiled, nothing written
    translator = QTranslator()
    assert translator.load(str(found))
    assert translator.translate("QDialogButtonBox", "Cancel") == "Batal"

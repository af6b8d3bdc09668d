"""Bundled icons, so nothing depends on the desktop's icon theme being complete."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QIcon

HERE = Path(__file__).parent


def app_icon() -> QIcon:
    return QIcon(str(HERE / "meterai.svg"))

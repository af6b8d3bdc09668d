"""Kiosk mode: watched customer folders, per-customer output, the day's ledger.

Qt-free, so the CLI (``meterai kiosk``, ``meterai report``) and the GUI's kiosk mode
drive the same code. The engine (watchdog, pre-flight) loads on first use, as
``outbox/__init__`` does: the GUI imports ``meterai.kiosk.setup`` on its thread to show
the kiosk dialog, and that must not load the engine there.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from meterai.kiosk.folder import FolderDefaults, FolderSettingsInvalid
    from meterai.kiosk.service import Kiosk, KioskConfig
    from meterai.kiosk.taking import Duplicate, FolderInvalid, KioskEvent, Rejected, Taken

__all__ = [
    "Duplicate",
    "FolderDefaults",
    "FolderInvalid",
    "FolderSettingsInvalid",
    "Kiosk",
    "KioskConfig",
    "KioskEvent",
    "Rejected",
    "Taken",
]

_HOME = {
    "FolderDefaults": "folder",
    "FolderSettingsInvalid": "folder",
    "Kiosk": "service",
    "KioskConfig": "service",
    "Duplicate": "taking",
    "FolderInvalid": "taking",
    "KioskEvent": "taking",
    "Rejected": "taking",
    "Taken": "taking",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"meterai.kiosk.{_HOME[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

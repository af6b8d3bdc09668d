"""Kiosk mode: watched customer folders, batch files, per-customer output, the day's ledger.

Qt-free, so the CLI (``meterai kiosk``, ``meterai report``) and the GUI's kiosk mode
drive the same code.
"""

from meterai.kiosk.balance import LowBalance, low_balance, low_balance_threshold
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
    "LowBalance",
    "Rejected",
    "Taken",
    "low_balance",
    "low_balance_threshold",
]

"""Nothing heavy is imported before the GUI's first paint, so start-up cannot quietly regress.

The probe runs in a fresh interpreter and imports what ``meterai-desk`` imports before
``window.show()``: ``meterai_desk.app`` and the modules ``run_window`` imports. The PDF,
signature, network, database, keyring and locale-data libraries must come later, on the
worker or on first use. (``meterai.logs`` importing the provider package used to drag
httpx in: about a third of a second of every start.)
"""

from __future__ import annotations

import json
import subprocess
import sys

# Top-level packages that are not needed to paint the window.
HEAVY = (
    "babel",
    "cryptography",
    "fpdf",
    "httpx",
    "keyring",
    "PIL",
    "pikepdf",
    "psycopg",
    "pyhanko",
    "pyhanko_certvalidator",
    "pypdf",
    "pypdfium2",
    "sqlite3",
    "zxingcpp",
)

# What the GUI entry point imports before the first paint (see ``app.run_window``).
BEFORE_PAINT = (
    "meterai_desk.app",
    "meterai.account",
    "meterai_desk.main_window",
    "meterai_desk.quit_signals",
    "meterai_desk.sync_bridge",
    "meterai_desk.tasks",
)

PROBE = """
import importlib, json, sys
heavy = set(sys.argv[1].split(","))
def loaded():
    return sorted(m for m in sys.modules if m.split(".")[0] in heavy)
for name in sys.argv[2].split(","):
    importlib.import_module(name)
before = loaded()
importlib.import_module("meterai.provider.client")  # the probe can see a heavy import
print(json.dumps({"before": before, "after_client": loaded()}))
"""


def _probe() -> dict[str, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(HEAVY), ",".join(BEFORE_PAINT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, list[str]] = json.loads(done.stdout)
    return result


def test_the_gui_entry_imports_nothing_heavy_before_the_first_paint() -> None:
    found = _probe()
    assert found["before"] == []
    assert "httpx" in found["after_client"], "the probe no longer sees heavy imports"

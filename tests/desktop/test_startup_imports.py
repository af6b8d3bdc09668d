"""Nothing heavy is imported before the GUI's first paint, so start-up cannot quietly regress.

The probe runs in a fresh interpreter and imports what ``meterai-desk`` imports before
``window.show()``: ``meterai_desk.app`` and the modules ``run_window`` imports. The PDF,
signature, network, database, keyring and locale-data libraries must come later, on the
worker or on first use. (``meterai.logs`` importing the provider package used to drag
httpx in: about a third of a second of every start.)

A second probe opens the main window as the app does and waits for its first paint:
what waits for that paint (the log file's handler, the single-instance server's
``QtNetwork``, message boxes) must not have been imported or built by then. PySide
builds a Qt class, with all of its enums, the first time it is used; ``QMessageBox``,
``QTableView`` and ``QStyleOption*`` cost milliseconds each, the ``Qt`` namespace some
25 ms (an empty outbox's window names none of its enums).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# Top-level packages that are not needed to paint the window.
HEAVY = (
    "babel",
    "cryptography",
    "ctypes",  # the PySide refcount fix writes its one field through ``_ctypes``
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
    "subprocess",  # ``meterai.system``: only Windows' NO_WINDOW and actual calls need it
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
def loaded():  # a None entry blocks an import (meterai/__init__.py: httpx's CLI)
    return sorted(m for m, mod in sys.modules.items() if mod and m.split(".")[0] in heavy)
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


# Modules and Qt classes the first paint does without (see ``meterai_desk.first_paint``).
AFTER_PAINT_MODULES = (
    "logging.handlers",
    "meterai.logs",
    "meterai.tracebacks",
    "meterai_desk.errors",
    "meterai_desk.add_flow",
    "meterai_desk.widgets.outbox_view",  # an empty outbox shows no table
    "PySide6.QtNetwork",
    "meterai.sync.events",  # six frozen dataclasses; the runner imports them, after the paint
    "meterai_desk.kiosk.notes",  # kiosk mode's notes, made only while it is on
)
AFTER_PAINT_QT = {
    "PySide6.QtCore": ("Qt", "QUrl", "QByteArray"),  # Qt: the namespace's 94 enums
    "PySide6.QtGui": ("QDesktopServices", "QPainter", "QKeySequence"),
    "PySide6.QtWidgets": (
        "QMessageBox",
        "QStyleOptionProgressBar",
        "QStyleOptionViewItem",
        "QTableView",
        "QHeaderView",
    ),
}

WARMED_AFTER_PAINT = (
    "PySide6.QtCore.Qt",
    "PySide6.QtWidgets.QTableView",
    "PySide6.QtWidgets.QHeaderView",
    "PySide6.QtWidgets.QStyleOptionProgressBar",
    "PySide6.QtWidgets.QStyleOptionViewItem",
    "meterai_desk.widgets.outbox_view",
)

FIRST_PAINT = """
import importlib, json, sys, time
import meterai_desk.app
from PySide6.QtWidgets import QApplication
from meterai.settings import resolve_paths
from meterai_desk.main_window import MainWindow
from meterai_desk.tasks import TaskRunner
modules, qt = json.loads(sys.argv[2]), json.loads(sys.argv[3])

def found():
    built = [f"{m}.{n}" for m, names in qt.items() for n in names if n in vars(sys.modules[m])]
    return sorted(m for m in modules if m in sys.modules) + built

app = QApplication([])
paths = resolve_paths(sys.argv[1])
window = MainWindow(paths, TaskRunner(paths))
try:  # Qt's SVG icon engine (the app's icon is an SVG) and QtSvg: loaded yet?
    with open("/proc/self/maps") as maps:
        svg_at_init = any("Qt6Svg" in line for line in maps)
except OSError:  # not Linux
    svg_at_init = None
window.show()
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    app.processEvents()
    handle = window.windowHandle()
    if handle is not None and handle.isExposed() and not window.outbox_model._loading:
        break
    time.sleep(0.005)
window.grab()
at_paint = found()
while window._outbox_view is None and time.monotonic() < deadline:  # the warm-up after it
    app.processEvents()
    time.sleep(0.005)
warmed = found()
importlib.import_module("meterai_desk.errors")  # the probe can see a module and a class
print(json.dumps({"at_paint": at_paint, "warmed": warmed, "after": found(),
                  "svg_at_init": svg_at_init, "icon": not window.windowIcon().isNull()}))
import os
os._exit(0)
"""


def test_the_first_paint_waits_for_nothing_it_does_not_show(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            FIRST_PAINT,
            str(tmp_path / "data"),
            json.dumps(AFTER_PAINT_MODULES),
            json.dumps(AFTER_PAINT_QT),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["at_paint"] == []
    # Right after it, before any sync could start, the window builds what the first rows
    # and progress bars need (``MainWindow._after_first_paint``): built later, mid-sync,
    # they stalled the GUI thread (test_the_gui_thread_never_stalls*).
    assert set(WARMED_AFTER_PAINT) <= set(found["warmed"])
    assert {"meterai_desk.errors", "PySide6.QtWidgets.QMessageBox"} <= set(found["after"])
    # The window's icon (an SVG: Qt's SVG engine and QtSvg, 10-18 ms) is set after the paint.
    assert found["svg_at_init"] in (False, None)
    assert found["icon"]

"""One GUI start in this process, exiting at the first paint (for ``bench_gui.py``).

    python bench/_gui_child.py window DATA_DIR ROWS   # the app's MainWindow over DATA_DIR
    python bench/_gui_child.py bare                   # a bare PySide6 QMainWindow

"First paint" is: the window is exposed, the outbox model has its first page (or
knows the outbox is empty), and the whole window has been rendered once (``grab``).
The process then leaves with ``os._exit`` so teardown is not timed.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The repository on sys.path without importing ``_common``: its argparse, statistics and
# subprocess would add some 30 ms to both starts and flatter the ratio.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [_ROOT, os.path.join(_ROOT, "core"), os.path.join(_ROOT, "desktop")]

TIMEOUT = 60.0


def _wait(app: object, done: object) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not done():  # type: ignore[operator]
        app.processEvents()  # type: ignore[attr-defined]
        if time.monotonic() > deadline:
            print("timed out waiting for the first paint", file=sys.stderr)
            os._exit(3)
        time.sleep(0.001)


def window(data_dir: str, rows: int) -> None:
    # In the app's order: the ``meterai-desk`` entry point imports ``meterai_desk.app``
    # (and its logging set-up) before the window; leaving it out hid httpx's import.
    from PySide6.QtWidgets import QApplication

    import meterai_desk.app  # noqa: F401
    from meterai.settings import resolve_paths
    from meterai_desk.main_window import MainWindow
    from meterai_desk.tasks import TaskRunner

    app = QApplication(sys.argv[:1])
    paths = resolve_paths(data_dir)
    win = MainWindow(paths, TaskRunner(paths))
    win.resize(1000, 700)
    win.show()
    model = win.outbox_model

    def painted() -> bool:
        handle = win.windowHandle()
        exposed = handle is not None and handle.isExposed()
        loaded = model.rowCount() >= min(rows, 1) and not getattr(model, "_loading", False)
        return exposed and loaded

    _wait(app, painted)
    win.grab()
    if rows and model.rowCount() == 0:
        os._exit(4)
    os._exit(0)


def bare() -> None:
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication(sys.argv[:1])
    win = QMainWindow()
    win.resize(1000, 700)
    win.show()

    def exposed() -> bool:
        handle = win.windowHandle()
        return handle is not None and handle.isExposed()

    _wait(app, exposed)
    win.grab()
    os._exit(0)


if __name__ == "__main__":
    if sys.argv[1] == "window":
        window(sys.argv[2], int(sys.argv[3]))
    else:
        bare()

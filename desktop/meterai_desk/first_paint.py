"""Work that waits until the main window is on screen, and the log records made meanwhile.

The window's first paint is what a person waits for at start-up. The log file's handler
(``logging.handlers`` with ``socket`` and ``pickle``, the redaction and traceback
filters) and the single-instance server (``QtNetwork``) are not needed for it, so the
app sets them up right after it; records logged before that are held and then written,
in order, so nothing said at start-up is lost.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QWidget

POLL_MS = 15  # about a frame: the wait adds at most this much after the paint
GIVE_UP_MS = 3000  # a window that never shows (started minimised, no screen) still gets it
HELD_MAX = 10_000


def after_first_paint(window: QWidget, work: Callable[[], None]) -> None:
    """Run ``work`` on the GUI thread once ``window`` has been exposed (and so painted).

    A zero-time timer is no good: it fires before the window system exposes the window.
    Qt paints a widget window while it handles the expose, so once ``isExposed()`` holds
    the first paint is done. No event filter or ``paintEvent`` override: those would make
    PySide build its ``QEvent`` types (some 5 ms) during the very paint they wait for.
    """
    waited = 0

    def check() -> None:
        nonlocal waited
        handle = window.windowHandle()
        if (handle is not None and handle.isExposed()) or waited >= GIVE_UP_MS:
            work()
            return
        waited += POLL_MS
        QTimer.singleShot(POLL_MS, window, check)

    # With the window as the timers' context: a window deleted first cancels the work.
    QTimer.singleShot(0, window, check)


def in_turns(context: QObject, steps: Sequence[Callable[[], object]]) -> None:
    """Run ``steps`` on the GUI thread, one per turn of the event loop, in order.

    Paints, input and timers get their turn between two steps, so a few builds of some
    10-30 ms each never become one long stall. ``context`` going away cancels the rest.
    """
    if not steps:
        return
    first, rest = steps[0], steps[1:]

    def step() -> None:
        first()
        in_turns(context, rest)

    QTimer.singleShot(0, context, step)


def build_qt_namespace() -> None:
    """Make PySide build ``QtCore.Qt`` (its 94 enums, some 25 ms) now, not when first named.

    The window's first paint names none of its enums; the table, the dialogs and the
    progress bars do, and they come while the sync workers hold the GIL.
    """
    from PySide6.QtCore import Qt

    Qt.ItemDataRole.DisplayRole  # noqa: B018 (named to build it; the import already does)


class HeldRecords(logging.Handler):
    """Keeps the root logger's records until the real handler exists, then hands them on.

    Installed at start-up in place of the log file's handler (which waits for the first
    paint); ``hand_to`` passes every held record to that handler and steps aside. A
    record that arrives while both are installed goes to the real one only.
    """

    def __init__(self, level: int = logging.INFO) -> None:
        super().__init__()
        self._held: deque[logging.LogRecord] = deque(maxlen=HELD_MAX)
        self._released = False
        root = logging.getLogger()
        root.addHandler(self)
        root.setLevel(min(root.level or level, level))

    @property
    def handed(self) -> bool:
        return self._released

    def emit(self, record: logging.LogRecord) -> None:
        if not self._released:
            self._held.append(record)

    def hand_to(self, handler: logging.Handler | None) -> None:
        """Write the held records through ``handler`` (already on the root logger), in order;
        ``None`` drops them. Safe to call twice."""
        self.acquire()  # no record is half-held while the rest are handed on
        try:
            self._released = True
            held, self._held = list(self._held), deque()
        finally:
            self.release()
        logging.getLogger().removeHandler(self)
        if handler is not None:
            for record in held:
                if record.levelno >= handler.level:
                    handler.handle(record)

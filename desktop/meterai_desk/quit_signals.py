"""SIGTERM, SIGHUP and SIGINT quit the app the way its Quit does.

A logout or a task manager ends the app with SIGTERM. Python's default for it ends the
process at once: the sync runner is not stopped and the data folder's lock is dropped
mid-run (the outbox is safe, each change is a transaction, but the log ends abruptly).

A Python signal handler only runs when the interpreter gets control, and Qt's event
loop is C++: so the handler itself does nothing, and ``signal.set_wakeup_fd`` writes
the signal's number to a socket that a ``QSocketNotifier`` watches, which wakes the
loop and runs ``quit`` on the GUI thread.
"""

from __future__ import annotations

import contextlib
import signal
import socket
from collections.abc import Callable
from types import FrameType

from PySide6.QtCore import QObject, QSocketNotifier

QUIT_SIGNALS = tuple(
    getattr(signal, name)
    for name in ("SIGTERM", "SIGHUP", "SIGINT", "SIGBREAK")  # SIGBREAK: Windows' Ctrl+Break
    if hasattr(signal, name)
)


class QuitOnSignals(QObject):
    """Calls ``quit`` on the GUI thread when one of ``QUIT_SIGNALS`` arrives."""

    def __init__(self, quit: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._quit = quit
        self._reader, self._writer = socket.socketpair()
        for end in (self._reader, self._writer):
            end.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno())
        self._previous = {sig: signal.signal(sig, _wake_only) for sig in QUIT_SIGNALS}
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_signal)

    def _on_signal(self) -> None:
        with contextlib.suppress(OSError):
            self._reader.recv(64)
        self._quit()

    def uninstall(self) -> None:
        self._notifier.setEnabled(False)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._reader.close()
        self._writer.close()


def _wake_only(signum: int, frame: FrameType | None) -> None:
    """Replaces the default (end at once); the wake-up socket does the rest."""

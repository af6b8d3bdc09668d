"""One Meterai Desk per data folder: a second launch hands its files to the first.

"Open with" in a file manager, a double click on a PDF or a drop on the launcher
each start a new process. Two engines on one outbox would fight over its lock (the
second would refuse to sync), and the user would face two windows. So the first
process takes a lock file in the data folder and listens on a local socket
(``QLocalServer``: a Unix socket, a named pipe on Windows, readable by this user
only); a later one finds the lock taken, sends the files it was given over the
socket, waits for the answer and exits. The first one raises its window and opens
the add flow for each file.

The lock, not the socket, decides who is first: two launches at the same moment both
fail to connect, but only one of them gets the lock (and on Windows two servers may
listen on one pipe name, so "listen failed" would not tell). The lock and the name come
from the platform layer (``meterai.system``): the OS drops the lock of a process that
died, and the new first process removes the dead one's socket before it listens.

The app takes the lock before its window and listens after the window's first paint
(``QtNetwork`` costs some 10 ms to import); a later launch in between finds the lock
taken and retries its connection until the first one listens.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from meterai import system

if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

LOCK_NAME = "instance.lock"  # not sync.lock: `meterai sync` takes that one
HAND_OVER_TIMEOUT_S = 10.0  # the first process may still be starting (its lock is older)
WAIT_SLICE_MS = 100
MAX_MESSAGE = 1 << 20  # a megabyte of file names is thousands of files: anything more is junk


def encode(files: Sequence[Path]) -> bytes:
    return json.dumps({"files": [str(f) for f in files]}).encode() + b"\n"


def decode(message: bytes) -> list[Path] | None:
    """The files of one hand-over; ``None`` for anything that is not one (logged, dropped)."""
    try:
        data = json.loads(message)
        files = data["files"]
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(files, list) or not all(isinstance(f, str) and f for f in files):
        return None
    return [Path(f) for f in files]


class SingleInstance(QObject):
    """The first process's side: the lock and the server. ``received`` carries a list of
    paths, on the GUI thread, once per later launch (an empty list: just show the window)."""

    received = Signal(object)

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = system.instance_name(data_dir)
        self._data_dir = data_dir
        self._lock: IO[bytes] | None = None
        self._server: QLocalServer | None = None

    def claim(self, *, listen: bool = True) -> bool:
        """Become the one instance (and listen, unless told to wait), or return False:
        another one runs.

        A data folder where no lock can be made (read-only, full) is no reason to refuse
        to start: the window says what is wrong with the folder, as without this lock.
        """
        with contextlib.suppress(OSError):
            self._data_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._lock = system.try_lock(self._data_dir / LOCK_NAME)
        except OSError as exc:
            log.warning("single instance: no lock in %s (%s)", self._data_dir, exc)
        else:
            if self._lock is None:
                return False
        if listen:
            self.listen()
        return True

    def listen(self) -> None:
        """Take later launches' files from now on (after ``claim``)."""
        from PySide6.QtNetwork import QLocalServer

        if self._server is not None:
            return
        QLocalServer.removeServer(self.name)  # a socket left by a process that was killed
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        server.newConnection.connect(self._accept)
        if not server.listen(self.name):
            # The lock still keeps others out; they will say that this one does not answer.
            log.warning("single instance: cannot listen on %s: %s", self.name, server.errorString())
        self._server = server

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def _accept(self) -> None:
        assert self._server is not None
        while (socket := self._server.nextPendingConnection()) is not None:
            buffer = bytearray()
            socket.readyRead.connect(lambda s=socket, b=buffer: self._read(s, b))
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                self._read(socket, buffer)

    def _read(self, socket: QLocalSocket, buffer: bytearray) -> None:
        buffer += socket.readAll().data()
        if b"\n" not in buffer and len(buffer) <= MAX_MESSAGE:
            return
        socket.readyRead.disconnect()
        files = decode(bytes(buffer.partition(b"\n")[0]))
        if files is None:
            log.warning("single instance: ignored a message that is not a hand-over")
            socket.abort()
            return
        log.info("single instance: a later launch handed over %d file(s)", len(files))
        self.received.emit(files)
        socket.write(b"ok\n")
        socket.disconnectFromServer()


def hand_over(name: str, files: Sequence[Path], timeout_s: float | None = None) -> bool:
    """The later launch's side: give ``files`` to the first process; True once it took them.

    Blocking is fine here: this process has no window and exits right after.
    """
    from PySide6.QtNetwork import QLocalSocket

    allow_the_first_to_come_forward()
    deadline = time.monotonic() + (HAND_OVER_TIMEOUT_S if timeout_s is None else timeout_s)
    socket = QLocalSocket()
    while True:
        socket.connectToServer(name)
        if socket.waitForConnected(WAIT_SLICE_MS):
            break
        if time.monotonic() >= deadline:
            log.warning("single instance: %s does not answer: %s", name, socket.errorString())
            return False
        time.sleep(0.2)  # the first process holds the lock but is not listening yet
    socket.write(encode(files))
    answer = bytearray()
    # Short waits: PySide6 holds the GIL inside waitFor*, and the first process may be
    # this one (a test), whose GUI thread needs it to answer.
    while b"\n" not in answer and time.monotonic() < deadline:
        if socket.waitForReadyRead(WAIT_SLICE_MS):
            answer += socket.readAll().data()
        elif socket.state() == QLocalSocket.LocalSocketState.UnconnectedState:
            break
    socket.abort()
    return answer.startswith(b"ok\n")


def allow_the_first_to_come_forward() -> None:
    """Windows lets only the foreground process raise a window: this launch is the one
    the user just started, so it passes that right on before handing over."""
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import ctypes

        asfw_any = -1
        ctypes.windll.user32.AllowSetForegroundWindow(asfw_any)

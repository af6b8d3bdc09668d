"""What every command gets: resolved paths, settings and a lazily opened outbox."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from meterai.errors import DiskError, MeteraiError
from meterai.i18n import _
from meterai.settings import Paths, Settings, load_settings

if TYPE_CHECKING:
    import argparse
    from typing import TypeAlias

    from meterai.outbox.store import Outbox

    # What ``main`` hands each command group's ``register``: typeshed's generic for the
    # object ``add_subparsers()`` returns (private in argparse, so named once, here).
    Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


@dataclass
class CliContext:
    paths: Paths
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    _settings: Settings | None = None
    _outbox: Outbox | None = None
    output_closed: bool = False
    """The reader of standard output went away (``meterai ... | head -1``): what is left to
    print goes nowhere, and the command finishes its work (a queued file stays queued)."""

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.paths)
        return self._settings

    def outbox(self) -> Outbox:
        if self._outbox is None:
            from meterai.outbox.store import Outbox

            self._outbox = Outbox.open(self.paths)
        return self._outbox

    def reader(self) -> Outbox:
        """The outbox for commands that only read it (``status``, ``show``).

        When the disk refuses writes (a read-only folder, a full disk) the outbox is
        still shown, opened read-only, with the reason on standard error: a user who
        cannot stamp now should still see what is queued and what is done. If even
        reading is impossible, the disk's error stands.
        """
        if self._outbox is not None:
            return self._outbox
        try:
            return self.outbox()
        except DiskError as refused:
            from meterai.outbox.store import Outbox

            try:
                self._outbox = Outbox.open_read_only(self.paths)
            except MeteraiError:
                raise refused from None
            self.warn(
                _("Shown without changing anything: {reason}").format(reason=refused.user_message())
            )
            return self._outbox

    def close(self) -> None:
        if self._outbox is not None:
            self._outbox.close()
            self._outbox = None

    def print(self, text: str = "") -> None:
        self.write(text + "\n")

    def write(self, text: str, *, flush: bool = False) -> None:
        """Standard output that a closed pipe cannot turn into a traceback."""
        if self.output_closed:
            return
        try:
            self.out.write(text)
            if flush:
                self.out.flush()
        except BrokenPipeError:
            self.output_closed = True
            silence(self.out)

    def emit(self, value: Any) -> None:
        """One JSON value on a line of its own, sent at once (JSON Lines, for a reader
        that acts on each line as it comes: ``sync --json``, ``add --json``)."""
        self.write(json.dumps(value, ensure_ascii=False) + "\n", flush=True)

    def warn(self, text: str) -> None:
        print(text, file=self.err)


def silence(stream: TextIO) -> None:
    """Point a stream whose reader is gone at the null device, so the flush at exit does
    not print "Exception ignored ... BrokenPipeError" (the recipe of Python's manual,
    signal module, "Note on SIGPIPE")."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError):
        return  # not a file (a test's StringIO): nothing is flushed at exit
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)

"""What every command gets: resolved paths, settings and a lazily opened outbox."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

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
        print(text, file=self.out)

    def warn(self, text: str) -> None:
        print(text, file=self.err)

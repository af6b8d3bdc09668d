"""What every command gets: resolved paths, settings and a lazily opened outbox."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from meterai.settings import Paths, Settings, load_settings

if TYPE_CHECKING:
    from meterai.outbox.store import Outbox


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

    def close(self) -> None:
        if self._outbox is not None:
            self._outbox.close()
            self._outbox = None

    def print(self, text: str = "") -> None:
        print(text, file=self.out)

    def warn(self, text: str) -> None:
        print(text, file=self.err)

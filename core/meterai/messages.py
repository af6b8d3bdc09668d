"""A user-facing message kept as data (id and parameters), rendered when it is read.

The outbox outlives a language switch: a reason stored as finished text stays in
the language of the process that wrote it. Stored as a ``Message``, the same row
reads in Indonesian in one session and in English in the next.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Union

from meterai.i18n import _

Param = Union[str, int, float, "Message"]


@dataclass(frozen=True)
class Message:
    id: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def text(self, translate: Callable[[str], str] = _) -> str:
        """In the current language (or through ``translate``), nested messages too."""
        values = {
            k: v.text(translate) if isinstance(v, Message) else v for k, v in self.params.items()
        }
        try:
            return translate(self.id).format(**values)
        except (KeyError, IndexError, ValueError):
            return self.id

    def english(self) -> str:
        """For logs and the journal: message ids are English."""
        return self.text(lambda s: s)

    def to_json(self) -> str:
        return json.dumps(self._plain(), ensure_ascii=False)

    def _plain(self) -> dict[str, Any]:
        params = {k: v._plain() if isinstance(v, Message) else v for k, v in self.params.items()}
        return {"id": self.id, "params": params}

    @classmethod
    def from_json(cls, text: str | None) -> Message | None:
        """``None`` for nothing stored or for text this version cannot read."""
        if not text:
            return None
        try:
            return cls._from_plain(json.loads(text))
        except (ValueError, TypeError, KeyError):
            return None

    @classmethod
    def _from_plain(cls, plain: Mapping[str, Any]) -> Message:
        params = {
            k: cls._from_plain(v) if isinstance(v, Mapping) else v
            for k, v in plain["params"].items()
        }
        return cls(str(plain["id"]), params)

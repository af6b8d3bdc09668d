"""The one translatable message: an English message id and typed parameters, worded when read.

The outbox outlives a language switch: a reason stored as finished text stays in
the language of the process that wrote it. Stored as a ``Message``, the same row
reads in Indonesian in one session and in English in the next. A pre-flight finding
is built once but shown in Indonesian on screen and in both languages in a kiosk's
rejection note, so its parameters stay typed until the moment of wording: a
``ByteSize`` reads "1,2 MB" in Indonesian and "1.2 MB" in English, a ``Phrase`` is
translated with the message around it, a nested ``Message`` is worded in the same
language. Errors (``MeteraiError.message()``), pre-flight findings, verify checks,
kiosk problems and the kiosk's bilingual notes all carry one of these.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

from meterai.i18n import LANGUAGES, current_language, format_number, translations


class ByteSize(int):
    """A byte count, worded with units in the reader's number format."""


class Phrase(str):
    """A message id used as a parameter, translated along with the message around it."""

    __slots__ = ()


Param = Union[str, int, float, "Message"]

_UNITS = ((1_000_000_000, "GB"), (1_000_000, "MB"), (1_000, "KB"))


@dataclass(frozen=True)
class Message:
    id: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def text(self, lang: str | None = None) -> str:
        """In ``lang`` (the current language by default), parameters worded for it too.

        A template that does not fit its parameters shows as it is, never raises: a
        catalogue typo must not turn a message into a traceback."""
        lang = lang or current_language()
        template = translations(lang).gettext(self.id)
        values = {name: _worded(value, lang) for name, value in self.params.items()}
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):
            return template

    def english(self) -> str:
        """For logs and the journal: message ids are English."""
        return self.text("en")

    def __reduce__(self) -> tuple[type[Message], tuple[str, dict[str, Param]]]:
        """Pickled with its parameters as a plain dict (a finding's are a read-only view,
        which does not pickle): a batch's files are read in worker processes."""
        return type(self), (self.id, dict(self.params))

    def in_each_language(self) -> dict[str, str]:
        """For texts left on disk for readers of either language (a kiosk's notes)."""
        return {lang: self.text(lang) for lang in LANGUAGES}

    @classmethod
    def joined(cls, parts: Sequence[Message], separator: str) -> Message:
        """One message listing several, each translated when the whole is read."""
        keys = [f"p{i}" for i in range(len(parts))]
        template = separator.join("{" + key + "}" for key in keys)
        return cls(template, dict(zip(keys, parts, strict=True)))

    @classmethod
    def sentences(cls, parts: Sequence[Message]) -> Message:
        """Whole sentences (pre-flight findings end in a full stop) one after the other:
        joined with "; " they read "tersebut.; Ukuran" (issue 18 item 8)."""
        return cls.joined(parts, " ")

    def to_json(self) -> str:
        return json.dumps(self._plain(), ensure_ascii=False)

    def _plain(self) -> dict[str, Any]:
        return {"id": self.id, "params": {k: _plain(v) for k, v in self.params.items()}}

    @classmethod
    def from_json(cls, text: str | None) -> Message | None:
        """``None`` for nothing stored or for text this version cannot read."""
        if not text:
            return None
        try:
            return cls._from_plain(json.loads(text))
        except (ValueError, TypeError, KeyError, AttributeError):
            return None

    @classmethod
    def _from_plain(cls, plain: Mapping[str, Any]) -> Message:
        params = {k: _from_plain(v) for k, v in plain["params"].items()}
        return cls(str(plain["id"]), params)


def _worded(value: Param, lang: str) -> str:
    if isinstance(value, Message):
        return value.text(lang)
    if isinstance(value, ByteSize):
        return format_size(value, lang)
    if isinstance(value, Phrase):
        return translations(lang).gettext(value)
    if isinstance(value, float):
        return format_number(value, lang)
    return str(value)


def format_size(size: int, lang: str) -> str:
    """Decimal units, because upload limits ("800 KB", "10 MB") are quoted that way."""
    from babel.numbers import format_decimal

    for factor, unit in _UNITS:
        if size >= factor:
            digits = "#,##0" if unit == "KB" else "#,##0.#"
            return f"{format_decimal(size / factor, format=digits, locale=lang)} {unit}"
    return f"{size} B"


# Typed parameters keep their type in the outbox: a stored "1,2 MB" still reads "1.2 MB"
# in English. Plain values are stored as they are (rows written before this read so).
def _plain(value: Param) -> Any:
    if isinstance(value, Message):
        return value._plain()
    if isinstance(value, ByteSize):
        return {"bytes": int(value)}
    if isinstance(value, Phrase):
        return {"phrase": str(value)}
    return value


def _from_plain(value: Any) -> Param:
    if not isinstance(value, Mapping):
        return value if isinstance(value, str | int | float) else str(value)
    if "bytes" in value:
        return ByteSize(value["bytes"])
    if "phrase" in value:
        return Phrase(value["phrase"])
    return Message._from_plain(value)

"""Messages whose parameters are rendered in the language they are shown in.

A finding is built once but may be shown in Indonesian on screen and in both
languages in a kiosk's rejection note, so sizes and translatable phrases stay typed
values until the moment of rendering: "1,2 MB" in Indonesian, "1.2 MB" in English.
"""

from __future__ import annotations

from collections.abc import Mapping

from babel.numbers import format_decimal

from meterai.i18n import format_number as i18n_format_number
from meterai.i18n import translations


class ByteSize(int):
    """A byte count, rendered with units in the reader's number format."""


class Phrase(str):
    """A message id used as a parameter, translated along with the message around it."""

    __slots__ = ()


Param = str | int | float

_UNITS = ((1_000_000_000, "GB"), (1_000_000, "MB"), (1_000, "KB"))


def format_size(size: int, lang: str) -> str:
    """Decimal units, because upload limits ("800 KB", "10 MB") are quoted that way."""
    for factor, unit in _UNITS:
        if size >= factor:
            digits = "#,##0" if unit == "KB" else "#,##0.#"
            return f"{format_decimal(size / factor, format=digits, locale=lang)} {unit}"
    return f"{size} B"


def format_number(value: float, lang: str) -> str:
    return i18n_format_number(value, lang)


def render(template: str, params: Mapping[str, Param], lang: str) -> str:
    """Translate ``template`` into ``lang`` and fill in ``params`` rendered for it."""
    gettext = translations(lang).gettext
    values = {name: _render_param(value, lang) for name, value in params.items()}
    text = gettext(template)
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        return text


def _render_param(value: Param, lang: str) -> str:
    if isinstance(value, ByteSize):
        return format_size(value, lang)
    if isinstance(value, Phrase):
        return translations(lang).gettext(value)
    if isinstance(value, float):
        return format_number(value, lang)
    return str(value)

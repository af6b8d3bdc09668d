"""Texts a kiosk leaves on disk for people who read either language.

A note beside a rejected file is read by the operator and, often, by the customer
it belongs to, long after the process that wrote it chose a language: so every note
carries Indonesian first, then English, whatever ``--lang`` says.
"""

from __future__ import annotations

from collections.abc import Mapping

from meterai.documents.text import render
from meterai.errors import MeteraiError, PdfRejected
from meterai.i18n import LANGUAGES

Param = str | int | float


def error_in(exc: MeteraiError, lang: str) -> str:
    """``exc``'s message in ``lang``; a pre-flight rejection is re-rendered from its findings
    because its ``reason`` parameter was already rendered in the process's language."""
    if isinstance(exc, PdfRejected) and exc.findings:
        reason = "; ".join(f.message_in(lang) for f in exc.findings)
        return render(
            exc.message_id, {"file": str(exc.params.get("file", "")), "reason": reason}, lang
        )
    params = {k: v for k, v in exc.params.items() if isinstance(v, str | int | float)}
    return render(exc.message_id, params, lang)


def text_in(template: str, params: Mapping[str, Param], lang: str) -> str:
    return render(template, params, lang)


def note(parts: Mapping[str, list[str]]) -> str:
    """One block per language (``id`` first), each a list of lines."""
    blocks = []
    for lang in LANGUAGES:
        lines = parts.get(lang, [])
        if lines:
            blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"

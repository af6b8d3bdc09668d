"""Keep bearer tokens, JWTs and passwords out of every log line.

Redaction runs on the fully formatted message (and on a formatted traceback),
because a secret usually arrives inside an argument (a headers dict, an
exception text), not in the format string. A logger's filter only sees records
logged on that very logger, not on its children, so all provider modules log
through ``LOGGER``; the app should also put :class:`RedactingFilter` on its log
*handlers*, where it sees every record, third-party ones included.
"""

from __future__ import annotations

import logging
import re

_REPLACEMENT = "[REDACTED]"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9\-._~+/]+=*"), rf"\1 {_REPLACEMENT}"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), _REPLACEMENT),
    (
        re.compile(
            r"(?i)([\"']?\b(?:password|passwd|pwd|token|secret|authorization)[\"']?\s*[:=]\s*)"
            r"([\"'])(?:\\.|(?!\2).)*\2"
        ),
        rf"\1\2{_REPLACEMENT}\2",
    ),
    (
        re.compile(r"(?i)\b(password|passwd|pwd|token|secret)=(?![\"'])[^&\s,;]+"),
        rf"\1={_REPLACEMENT}",
    ),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites the record in place; never drops it (a missing log line hides bugs)."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not leak its raw args either
            message = f"{record.msg!s} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redact(self._formatter.formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install(target: logging.Logger | logging.Handler) -> None:
    """Add the filter once; safe to call repeatedly."""
    if not any(isinstance(f, RedactingFilter) for f in target.filters):
        target.addFilter(RedactingFilter())


LOGGER = logging.getLogger("meterai.provider")
install(LOGGER)

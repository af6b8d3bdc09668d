"""Log files: rotated, in the data dir, with tokens and passwords redacted on the handler.

The redaction sits on the handler, not on our loggers, so records from httpx, uvicorn
or pyHanko that quote a header or a URL are cleaned as well.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import sys
import traceback
from pathlib import Path
from typing import Any

from meterai.provider.redact import RedactingFilter
from meterai.settings import Paths
from meterai.tracebacks import RepeatedTracebackFilter

LOG_NAME = "meterai.log"
_MAX_BYTES = 2_000_000
_BACKUPS = 5


class FileOrStderrHandler(logging.handlers.RotatingFileHandler):
    """The rotating log file, or standard error once the file cannot be written.

    A read-only data folder or a full disk made every record print "--- Logging error
    ---" and a traceback (or stopped the command before it began). The first failure
    to open, write or rotate the file switches this handler, quietly and for the rest
    of the process, to standard error, where only warnings and errors go, each on one
    line: the user gets the command's own message, not Python internals.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(
            path, maxBytes=_MAX_BYTES, backupCount=_BACKUPS, encoding="utf-8", delay=True
        )
        self.fallback: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.fallback is not None:
            self._to_fallback(record)
            return
        super().emit(record)

    def _to_fallback(self, record: logging.LogRecord) -> None:
        assert self.fallback is not None
        if record.levelno >= self.fallback.level:
            self.fallback.handle(record)

    def handleError(self, record: logging.LogRecord) -> None:
        if not isinstance(sys.exc_info()[1], OSError) or self.fallback is not None:
            super().handleError(record)
            return
        self.fallback = _stderr_handler()
        with contextlib.suppress(OSError, ValueError):
            if self.stream is not None:
                self.stream.close()
        self.stream = None
        self._to_fallback(record)


class _OneLineFormatter(logging.Formatter):
    """A traceback on the user's terminal says nothing to them: its last line is enough."""

    def formatException(self, ei: Any) -> str:
        return "".join(traceback.format_exception_only(ei[0], ei[1])).strip()

    def format(self, record: logging.LogRecord) -> str:
        cached, record.exc_text = record.exc_text, None  # the file's formatter's traceback
        try:
            return " | ".join(super().format(record).splitlines())
        finally:
            record.exc_text = cached


def _stderr_handler() -> logging.Handler:
    fallback = logging.StreamHandler(sys.stderr)
    fallback.setLevel(logging.WARNING)
    fallback.setFormatter(_OneLineFormatter("meterai: %(levelname)s %(name)s: %(message)s"))
    return fallback


def setup_logging(paths: Paths, *, level: int = logging.INFO) -> logging.Handler:
    """Send every log record to ``logs/meterai.log`` (rotating); returns the handler.

    A folder that cannot be created leaves the handler to fall back at the first record.
    """
    with contextlib.suppress(OSError):
        paths.logs_dir.mkdir(parents=True, exist_ok=True)
    handler = FileOrStderrHandler(paths.logs_dir / LOG_NAME)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    )
    handler.addFilter(RedactingFilter())
    handler.addFilter(RepeatedTracebackFilter())
    root = logging.getLogger()
    for existing in [h for h in root.handlers if getattr(h, "_meterai", False)]:
        root.removeHandler(existing)  # one process, one log file: the latest data dir wins
        existing.close()
    handler._meterai = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(min(root.level or level, level))
    return handler

"""Log files: rotated, in the data dir, with tokens and passwords redacted on the handler.

The redaction sits on the handler, not on our loggers, so records from httpx, uvicorn
or pyHanko that quote a header or a URL are cleaned as well.
"""

from __future__ import annotations

import logging
import logging.handlers

from meterai.provider.redact import RedactingFilter
from meterai.settings import Paths
from meterai.tracebacks import RepeatedTracebackFilter

LOG_NAME = "meterai.log"
_MAX_BYTES = 2_000_000
_BACKUPS = 5


def setup_logging(paths: Paths, *, level: int = logging.INFO) -> logging.Handler:
    """Send every log record to ``logs/meterai.log`` (rotating); returns the handler."""
    paths.logs_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        paths.logs_dir / LOG_NAME, maxBytes=_MAX_BYTES, backupCount=_BACKUPS, encoding="utf-8"
    )
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

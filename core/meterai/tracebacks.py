"""Programming errors, recorded so that the first one is never lost and the hundredth costs nothing.

A bug that fires on every attempt of a request must not bury its own evidence: the log
rotates by size, and thousands of identical tracebacks push the first, useful one out
within seconds. So a traceback is identified by a signature (the exception type and the
code locations it passed through, not the message, which often holds ids), written once
to its own evidence file beside the log, and repeated occurrences reach the log as one
short line with a running count.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import traceback
from collections import OrderedDict
from pathlib import Path

EVIDENCE_PREFIX = "internal-error-"
_MAX_SIGNATURES = 512


def signature(exc: BaseException) -> str:
    """Twelve hex digits that are equal for the same bug hit again, whatever its message."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = "|".join(f"{Path(f.filename).name}:{f.name}:{f.lineno}" for f in frames)
    text = f"{type(exc).__module__}.{type(exc).__qualname__}|{where}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def write_evidence(folder: Path, exc: BaseException, context: str = "") -> Path | None:
    """Keep the first traceback of this signature in ``folder``; None when it cannot be written.

    An existing file is left alone: it holds the first occurrence, which is the one worth
    reading. A read-only or full disk must not turn a recorded bug into a second failure.
    """
    path = folder / f"{EVIDENCE_PREFIX}{signature(exc)}.txt"
    if path.exists():
        return path
    text = "".join(traceback.format_exception(exc))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as out:
            out.write(f"{context}\n\n{text}" if context else text)
            out.flush()
            os.fsync(out.fileno())
    except FileExistsError:
        return path
    except OSError:
        return None
    return path


class RepeatedTracebackFilter(logging.Filter):
    """A handler filter: each traceback once, then a count at 2, 4, 8, ... occurrences.

    The repeats that are let through lose their traceback and say how many times the same
    error has been seen, so a bug in a loop grows the log by a line per doubling instead
    of a screenful per attempt.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, int] = OrderedDict()

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None:
            return True
        key = signature(exc)
        with self._lock:
            count = self._seen.pop(key, 0) + 1
            self._seen[key] = count
            while len(self._seen) > _MAX_SIGNATURES:
                self._seen.popitem(last=False)
        if count == 1:
            return True
        if count & (count - 1):
            return False  # not a power of two: counted, not written
        record.msg = f"{record.getMessage()} [the same {type(exc).__name__} again: {count} times "
        record.msg += f"so far; traceback {key} was logged the first time]"
        record.args = None
        record.exc_info = None
        record.exc_text = None
        return True

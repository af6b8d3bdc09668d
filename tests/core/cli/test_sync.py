"""Issue 3's acceptance through the installed ``meterai`` script, as a kiosk or a script runs it.

Every call is a real process with a real data dir, so exit codes, stdout/stderr and
the default language are what a caller sees, not what an in-process test would.
"""

from __future__ import annotations

import time
from pathlib import Path

from meterai.messages import Message
from meterai.outbox import Outbox, State
from meterai.settings import resolve_paths
from tests.support.cli import (
    EXIT_OK,
    meterai,
    queue_good,
    status_json,
)


def test_retry_starts_afresh_without_the_old_reason(
    data: Path, home: Path, pdfs: dict[str, Path]
) -> None:
    """Issue 16: ``meterai retry`` kept the failed attempts' count and reason on the row it
    sent again (the app's retry cleared them), so the table showed an old failure beside
    a queued request. Both now call ``Outbox.retry``."""
    request_id = queue_good(data, home, pdfs["good"])
    box = Outbox.open(resolve_paths(data))
    try:
        box.record_failure(request_id, Message("timeout"), next_attempt_at=time.time() + 600)
        box.transition(request_id, State.NEEDS_ATTENTION, detail="gave up")
    finally:
        box.close()

    result = meterai("--data-dir", data, "retry", str(request_id), home=home)

    assert result.code == EXIT_OK, result.err
    listed = status_json(data, home)[0]
    assert (listed["state"], listed["attempts"], listed["last_error"]) == ("queued", 0, None)
    box = Outbox.open(resolve_paths(data))
    try:
        row = box.get(request_id)
    finally:
        box.close()
    assert (row.next_attempt_at, row.last_error_msg, row.reason()) == (None, None, "")

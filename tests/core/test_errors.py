"""The one error tree: English in logs, the reader's language on screen, parameters as data."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from meterai import i18n
from meterai.errors import (
    InputError,
    MeteraiError,
    NotARegularFile,
    RequestNotFound,
    StoreLocked,
)
from meterai.messages import Message


def test_an_error_speaks_the_chosen_language() -> None:
    exc = StoreLocked(path="/x/outbox.sqlite3")
    i18n.set_language("en")
    assert exc.user_message() == str(exc)
    i18n.set_language("id")
    assert exc.user_message() != str(exc)
    assert "/x/outbox.sqlite3" in exc.user_message()


def test_the_log_line_is_english_whatever_the_language() -> None:
    i18n.set_language("id")
    assert str(RequestNotFound(request_id=42)) == "There is no request 42 in the outbox."


def test_the_message_is_data_that_survives_a_round_trip() -> None:
    """Stored with a request (last_error_msg) and worded later in the reader's language."""
    message = RequestNotFound(request_id=42).message()
    again = Message.from_json(message.to_json())
    assert again == message and again.english() == "There is no request 42 in the outbox."


def test_a_nested_error_is_worded_in_the_same_language_as_its_host() -> None:
    inner = StoreLocked(path="/x/outbox.sqlite3")
    outer = InputError(detail=inner)
    assert str(outer) == f"The input was rejected: {inner}"
    i18n.set_language("id")
    assert inner.user_message() in outer.user_message()


def test_an_unknown_parameter_type_is_kept_as_its_text() -> None:
    exc = MeteraiError(detail=Path("/srv/masuk"))
    assert exc.message().params == {"detail": "/srv/masuk"}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this OS")
def test_a_special_file_is_named_for_what_it_is(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    assert "named pipe" in str(NotARegularFile.of("pipe.pdf", fifo.lstat().st_mode))
    assert "folder" in str(NotARegularFile.of("scans", tmp_path.lstat().st_mode))
    assert "device" in str(NotARegularFile.of("null", stat.S_IFCHR))
    assert "socket" in str(NotARegularFile.of("s", stat.S_IFSOCK))
    assert "not an ordinary file" in str(NotARegularFile.of("x", 0))

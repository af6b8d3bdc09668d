from __future__ import annotations

import logging

import pytest

from meterai.logs import LOG_NAME, setup_logging
from meterai.settings import Paths


def test_log_file_redacts_tokens_from_any_library(paths: Paths) -> None:
    handler = setup_logging(paths)
    try:
        token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJlLXNlY3JldA"
        logging.getLogger("httpx").warning("HTTP Request: Authorization: Bearer %s", token)
        logging.getLogger("meterai.sync").warning("login with password=%s", "hunter2")
        handler.flush()
        text = (paths.logs_dir / LOG_NAME).read_text("utf-8")
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    assert "HTTP Request" in text and "login with" in text
    assert token not in text and "hunter2" not in text


def test_an_unwritable_log_falls_back_to_stderr_once_without_tracebacks(
    paths: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: every record printed "--- Logging error ---" and a traceback (or, at set-up,
    the command died with ``OSError: [Errno 30] Read-only file system``)."""
    paths.data_dir.mkdir(parents=True)
    paths.logs_dir.write_text("a file where the log folder should be")  # open() fails
    handler = setup_logging(paths)
    log = logging.getLogger("meterai.test")
    try:
        log.info("routine progress, not for the terminal")
        log.warning("first warning with password=%s", "hunter2")
        try:
            raise ValueError("the last line is enough")
        except ValueError:
            log.exception("a failed step")
        log.warning("second warning")
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    err = capsys.readouterr().err
    assert "Logging error" not in err and "Traceback" not in err
    assert "routine progress" not in err and "hunter2" not in err
    lines = err.splitlines()
    assert len(lines) == 3, err
    assert "first warning" in lines[0] and "second warning" in lines[2]
    assert "a failed step | ValueError: the last line is enough" in lines[1]

from __future__ import annotations

import logging

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

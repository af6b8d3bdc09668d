"""No token or password reaches a log line, whatever shape it arrives in."""

from __future__ import annotations

import logging

import httpx
import pytest

from meterai.provider import ProviderClient, RedactingFilter, redact

from .conftest import FakeProvider

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEifQ.c2lnbmF0dXJlLXNlY3JldA"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"Authorization: Bearer {JWT}", JWT),
        ("headers {'authorization': 'Bearer abc.def-ghi'}", "abc.def-ghi"),
        (f"token was {JWT} ok", JWT),
        ('{"user": "demo", "password": "hunter2"}', "hunter2"),
        ("{'password': 'it\\'s secret'}", "secret"),
        ("login user=demo&password=hunter2&x=1", "hunter2"),
        ('form field token="opaque-123"', "opaque-123"),
        ("TOKEN=opaque-456", "opaque-456"),
    ],
)
def test_redact(text: str, secret: str) -> None:
    cleaned = redact(text)
    assert secret not in cleaned
    assert "[REDACTED]" in cleaned


def test_redact_leaves_ordinary_text_alone() -> None:
    text = "POST https://stampv2.test/chanel/stampv2 SN 0A1B2C3D4E5F status NOTSTAMP"
    assert redact(text) == text


def test_filter_covers_args_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("meterai.provider")
    caplog.set_level(logging.DEBUG, logger="meterai.provider")
    logger.info("sending %s", {"Authorization": f"Bearer {JWT}"})
    try:
        raise RuntimeError(f"login failed for password='hunter2' token {JWT}")
    except RuntimeError:
        logger.exception("boom")
    text = caplog.text
    assert JWT not in text and "hunter2" not in text
    assert "[REDACTED]" in text


def test_filter_on_a_handler_covers_third_party_loggers() -> None:
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Collect()
    handler.addFilter(RedactingFilter())
    other = logging.getLogger("httpx.test-redaction")
    other.addHandler(handler)
    other.setLevel(logging.INFO)
    try:
        other.info("header %s", f"Bearer {JWT}")
    finally:
        other.removeHandler(handler)
    assert records == ["header Bearer [REDACTED]"]


def test_client_debug_logging_never_shows_the_token(
    fake: FakeProvider, client: ProviderClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.route("GET", "/jenisdoc")(
        lambda r: httpx.Response(200, json={"statusCode": "00", "result": []})
    )
    client.doc_types()
    user = client.session.user
    assert user is not None
    assert user.token not in caplog.text
    assert "secret" not in caplog.text

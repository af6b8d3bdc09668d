"""A stored message renders in the reader's language, nested parameters included."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from meterai import i18n
from meterai.errors import ProviderUnavailable
from meterai.messages import Message

TRIED = "Tried {count} times without success; the last error was: {error}. The serial number, if any, is kept. Retry when the service is back."  # noqa: E501


@pytest.fixture(autouse=True)
def indonesian_after() -> Iterator[None]:
    yield
    i18n.set_language("id")


def test_nested_message_survives_json_and_renders_in_each_language() -> None:
    inner = ProviderUnavailable(detail="ConnectError").message()
    stored = Message(TRIED, {"count": 8, "error": inner}).to_json()
    back = Message.from_json(stored)
    assert back == Message(TRIED, {"count": 8, "error": inner})
    i18n.set_language("en")
    english = back.text()
    i18n.set_language("id")
    indonesian = back.text()
    assert english.startswith("Tried 8 times") and "cannot be reached: ConnectError" in english
    assert "8" in indonesian and "ConnectError" in indonesian
    assert "Tried" not in indonesian and "cannot be reached" not in indonesian
    assert back.english() == english


@pytest.mark.parametrize("text", [None, "", "not json", '{"params": {}}', "[1, 2]"])
def test_unreadable_stored_text_is_none_not_a_crash(text: str | None) -> None:
    assert Message.from_json(text) is None


def test_a_template_that_does_not_fit_its_parameters_shows_the_id() -> None:
    assert Message("{missing} here", {}).text() == "{missing} here"

"""A bug hit in a loop keeps its first traceback and grows the log by a line per doubling."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from meterai.tracebacks import EVIDENCE_PREFIX, RepeatedTracebackFilter, signature, write_evidence
from tests.support.mounts import mounts, read_only_view

__all__ = ["mounts"]


def _raised(message: str) -> BaseException:
    try:
        {}[message]  # the same line every time: the same bug
    except KeyError as exc:
        return exc
    raise AssertionError("unreachable")


def _raised_elsewhere() -> BaseException:
    try:
        [][1]
    except IndexError as exc:
        return exc
    raise AssertionError("unreachable")


def test_the_same_bug_with_another_message_has_the_same_signature() -> None:
    assert signature(_raised("request 1")) == signature(_raised("request 2"))
    assert signature(_raised("request 1")) != signature(_raised_elsewhere())


def test_the_first_traceback_is_kept_and_never_overwritten(tmp_path: Path) -> None:
    first = write_evidence(tmp_path / "logs", _raised("request 1"), context="step of request 1")
    again = write_evidence(tmp_path / "logs", _raised("request 2"), context="step of request 2")
    assert first == again and first is not None
    assert first.name.startswith(EVIDENCE_PREFIX)
    text = first.read_text("utf-8")
    assert text.startswith("step of request 1") and "KeyError: 'request 1'" in text


def test_a_read_only_folder_is_no_second_failure(
    tmp_path: Path, mounts: Callable[..., None]
) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    if os.geteuid() == 0:  # root ignores permission bits: a read-only mount
        view = read_only_view(folder, tmp_path / "view", mounts)
        assert write_evidence(view, _raised("x")) is None
    else:
        folder.chmod(0o500)
        try:
            assert write_evidence(folder, _raised("x")) is None
        finally:
            folder.chmod(0o700)
    assert list(folder.iterdir()) == []


def test_a_missing_folder_that_cannot_be_made_is_no_second_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "logs"
    blocker.write_text("a file where the folder should be")
    assert write_evidence(blocker / "inner", _raised("x")) is None


@pytest.fixture
def repeats(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """``caplog`` behind a fresh filter, taken off again after the test.

    pytest's capture handler is one for the whole session: a filter left on it went on
    counting into the next test, and the powers-of-two test failed when run after the
    other one (2 records instead of 4, in reverse order)."""
    repeated = RepeatedTracebackFilter()
    caplog.handler.addFilter(repeated)
    caplog.set_level(logging.ERROR, "tests.tracebacks")
    yield caplog
    caplog.handler.removeFilter(repeated)


def test_repeats_reach_the_log_at_powers_of_two_without_their_traceback(
    repeats: pytest.LogCaptureFixture,
) -> None:
    log = logging.getLogger("tests.tracebacks")
    for attempt in range(1, 10):
        log.error("step failed", exc_info=_raised(f"request {attempt}"))
    written = repeats.records
    assert len(written) == 4  # the 1st, 2nd, 4th and 8th
    assert written[0].exc_info is not None
    assert all(r.exc_info is None for r in written[1:])
    assert "again: 8 times so far" in written[-1].getMessage()


def test_another_bug_is_logged_in_full_among_the_repeats(
    repeats: pytest.LogCaptureFixture,
) -> None:
    log = logging.getLogger("tests.tracebacks")
    for attempt in range(3):
        log.error("step failed", exc_info=_raised(f"r{attempt}"))
    log.error("other step failed", exc_info=_raised_elsewhere())
    assert repeats.records[-1].exc_info is not None

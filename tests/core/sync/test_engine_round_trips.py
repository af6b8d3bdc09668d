"""Round trips the engine saves on a weak link, and the ones it must keep (issue 19)."""

from __future__ import annotations

from meterai.outbox.states import State
from tests.core.sync.test_engine import Bench, bench, drive

__all__ = ["bench"]


def test_a_serial_number_bought_in_this_run_is_not_asked_about_before_stamping(
    bench: Bench,
) -> None:
    request_id = bench.queue()
    assert drive(bench.engine(), request_id) == State.DONE
    assert bench.provider.calls["serial_status"] == 0
    assert bench.provider.calls["stamp"] == 1


def test_a_serial_number_from_an_earlier_run_is_asked_about_before_stamping(
    bench: Bench,
) -> None:
    """A restored older outbox cannot know a stamp already happened; the provider can."""
    request_id = bench.queue()
    first = bench.engine()
    while bench.outbox.get(request_id).state != State.NUMBERED:
        first.step(request_id)
    later = bench.engine()  # another process: a session of its own
    assert drive(later, request_id) == State.DONE
    assert bench.provider.calls["serial_status"] == 1

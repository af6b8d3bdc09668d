"""Where a stamped file goes decides its byte budget and its paper rule."""

from __future__ import annotations

import pytest

from meterai.documents.targets import A4_PT, STAMP_ALLOWANCE, is_a4, target_named


@pytest.mark.parametrize(
    ("width", "height"),
    [A4_PT, (842, 595), (595, 842), (590, 837), (600.9, 847.5)],
)
def test_a4_either_way_up_and_rounded_by_a_scanner_is_a4(width: float, height: float) -> None:
    assert is_a4(width, height)


@pytest.mark.parametrize(("width", "height"), [(612, 792), (595, 935), (420, 595), (589, 842)])
def test_letter_folio_a5_and_a_trimmed_page_are_not(width: float, height: float) -> None:
    assert not is_a4(width, height)


def test_sscasn_leaves_room_for_the_stamp_inside_its_800_kb() -> None:
    sscasn = target_named("sscasn")
    assert sscasn.require_a4 and sscasn.max_bytes == 800_000
    assert sscasn.budget == 800_000 - STAMP_ALLOWANCE


def test_the_stamping_service_has_no_paper_rule() -> None:
    provider = target_named("provider")
    assert not provider.require_a4 and provider.budget == provider.max_bytes


def test_an_unknown_target_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        target_named("email")

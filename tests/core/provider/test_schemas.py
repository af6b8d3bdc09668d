"""What the client sends is checked before it leaves: a wrong page or rectangle is a bug."""

from __future__ import annotations

import pytest

from meterai.provider.schemas import SigningParams


def _params(page: int, rect: tuple[float, float, float, float]) -> SigningParams:
    return SigningParams(
        file_id="F1", sn="SN1", specimen="sn.png", page=page, rect=rect, reason="r", location="l"
    )


def test_a_stamp_on_page_one_in_a_proper_rectangle_is_accepted() -> None:
    assert _params(1, (400, 40, 472, 112)).retry is False


@pytest.mark.parametrize(
    ("page", "rect", "said"),
    [
        (0, (400, 40, 472, 112), "1-based"),
        (1, (472, 40, 400, 112), "inverted"),
        (1, (400, 112, 472, 40), "inverted"),
        (1, (400, 40, 400, 112), "empty"),
    ],
)
def test_a_zero_page_or_an_empty_or_inverted_rectangle_is_refused(
    page: int, rect: tuple[float, float, float, float], said: str
) -> None:
    with pytest.raises(ValueError, match=said):
        _params(page, rect)

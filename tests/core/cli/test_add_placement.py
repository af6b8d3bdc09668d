"""Where ``meterai add`` puts the stamp, seen as a viewer shows the stamped page.

Issue 18 item 6: on a /Rotate page the stamp must stand upright as the page is viewed
(before, the sandbox drew it in the page's own frame, so it lay on its side on a
/Rotate 90 page); ``--at`` names a corner of the page as shown and ``--rect`` measures
from its top-left corner. Each test adds through the real ``meterai`` script, stamps
with ``sync --once`` against the sandbox over HTTPS, renders the result with poppler
and reads the stamp's place and orientation from the pixels.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meterai.placement import DEFAULT_MARGIN_PT, STAMP_DEFAULT_PT, Rect
from meterai.sandbox import SandboxServer
from meterai.settings import resolve_paths
from tests.support.cli import EXIT_OK, meterai, status_json
from tests.support.pdfs import make_pdf
from tests.support.sandbox import Admin, admin, point_at, provider
from tests.support.seen import PDFTOPPM, SeenStamp, seen_stamp

__all__ = ["admin", "provider"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(PDFTOPPM is None, reason="pdftoppm (poppler-utils) is not installed"),
]

CROP = (50.0, 60.0, 545.0, 800.0)  # off-centre on A4: a box measured from the MediaBox shows
TOLERANCE_PT = 2.0  # a pixel at 144 dpi either side, and the specimen's anti-aliased edge


def _stamp_all(tmp_path: Path, provider: SandboxServer, *adds: list[str | Path]) -> list[Path]:
    """Run each ``add``, then one ``sync --once``; the stamped files in the order added."""
    data, home = tmp_path / "data", tmp_path / "home"
    point_at(resolve_paths(data), provider)
    for args in adds:
        added = meterai("--data-dir", data, "--lang", "en", "add", "--type", "3", *args, home=home)
        assert added.code == EXIT_OK, added.err
    synced = meterai("--data-dir", data, "sync", "--once", home=home)
    assert synced.code == EXIT_OK, synced.err
    rows = status_json(data, home)
    assert [row["state"] for row in rows] == ["done"] * len(rows)
    return [Path(str(row["output_path"])) for row in rows]


def _seen(original: Path, stamped: Path, work: Path) -> SeenStamp:
    sn = stamped_sn(stamped)
    work.mkdir()
    return seen_stamp(original, stamped, sn, 1, work)


def stamped_sn(stamped: Path) -> str:
    """The serial number from the signature's reason, ``[SN] ...``, as the provider writes it."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    with stamped.open("rb") as fh:
        (signature,) = PdfFileReader(fh).embedded_signatures
        reason = str(signature.sig_object["/Reason"])
    return reason[1 : reason.index("]")]


def _close(a: Rect, b: Rect) -> bool:
    pairs = zip((a.x1, a.y1, a.x2, a.y2), (b.x1, b.y1, b.x2, b.y2), strict=True)
    return all(abs(p - q) <= TOLERANCE_PT for p, q in pairs)


def _bottom_right(size: tuple[float, float]) -> Rect:
    width, height = size
    far, near = DEFAULT_MARGIN_PT, DEFAULT_MARGIN_PT + STAMP_DEFAULT_PT
    return Rect(width - near, height - near, width - far, height - far)


def test_a_rotate_90_page_takes_an_upright_stamp_at_the_bottom_right_as_viewed(
    tmp_path: Path, provider: SandboxServer, admin: Admin
) -> None:
    """The issue's acceptance point, and the same on /Rotate 180 and 270 and on a page
    whose CropBox is offset from its MediaBox."""
    cases = [(rotate, None) for rotate in (90, 180, 270)] + [(90, CROP), (0, CROP)]
    sources = [
        make_pdf(
            tmp_path / f"r{rotate}-{'crop' if crop else 'full'}.pdf", rotate=rotate, cropbox=crop
        )
        for rotate, crop in cases
    ]
    stamped = _stamp_all(tmp_path, provider, [*sources, "--at", "bottom-right"])
    for source, result in zip(sources, stamped, strict=True):
        seen = _seen(source, result, tmp_path / source.stem)
        assert seen.turn == 0, (source.name, seen)
        assert _close(seen.box, _bottom_right(seen.page_size)), (source.name, seen)


def test_at_and_rect_are_on_the_page_as_shown(
    tmp_path: Path, provider: SandboxServer, admin: Admin
) -> None:
    """``--at top-left`` and ``--rect`` (top-left origin) on a turned, cropped page."""
    corner = make_pdf(tmp_path / "corner.pdf", rotate=270, cropbox=CROP)
    measured = make_pdf(tmp_path / "measured.pdf", rotate=90, cropbox=CROP)
    stamped = _stamp_all(
        tmp_path,
        provider,
        [corner, "--at", "top-left"],
        [measured, "--rect", "100,50,180,130"],
    )
    at_corner = _seen(corner, stamped[0], tmp_path / "seen-corner")
    edge = DEFAULT_MARGIN_PT + STAMP_DEFAULT_PT
    assert at_corner.turn == 0
    assert _close(at_corner.box, Rect(DEFAULT_MARGIN_PT, DEFAULT_MARGIN_PT, edge, edge))
    at_rect = _seen(measured, stamped[1], tmp_path / "seen-measured")
    assert at_rect.turn == 0
    assert _close(at_rect.box, Rect(100, 50, 180, 130)), at_rect

"""The add dialog warns, in amber, when the stamp would hide something, and finds a free spot.

Real window, real add dialog, real pages read on the worker; where the stamp ends up
is checked by rendering the file with poppler (the app renders with PDFium).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from meterai.documents.preflight import Code
from meterai.messages import Message
from meterai.outbox import Outbox
from meterai.overlap import NO_FREE_SPOT_TEXT, cover_finding
from meterai.placement import Rect, page_geometry
from meterai.settings import Paths
from meterai_desk.dialogs.add_dialog import AddDialog
from meterai_desk.widgets.page_canvas import AMBER
from tests.support.content import PDFTOPPM, Things, make_page, poppler_ink
from tests.support.desktop import WindowFactory, add_and_wait, describe, drag

needs_poppler = pytest.mark.skipif(PDFTOPPM is None, reason="pdftoppm (poppler-utils) missing")

LINES = [Rect(40, 40 + 20 * i, 560, 54 + 20 * i) for i in range(5)]
"""Text along the bottom of an A4 page, under the default stamp box."""


def checked(qtbot: QtBot, window: WindowFactory, paths: Paths, pdf: Path) -> AddDialog:
    dialog = add_and_wait(qtbot, window(paths), pdf)
    qtbot.waitUntil(lambda: dialog.overlap.known, timeout=10000)
    return dialog


def stamp_frame_colour(dialog: AddDialog) -> QColor:
    """The colour on screen in the middle of the stamp's top edge, as the user sees it."""
    canvas = dialog.pages.canvas
    edge = canvas.stamp.scene_rect()
    point = canvas.mapFromScene(QPointF(edge.center().x(), edge.top()))
    return canvas.viewport().grab().toImage().pixelColor(point)


def near(colour: QColor, other: QColor, tolerance: int = 40) -> bool:
    pairs = [
        (colour.red(), other.red()),
        (colour.green(), other.green()),
        (colour.blue(), other.blue()),
    ]
    return all(abs(a - b) <= tolerance for a, b in pairs)


@needs_poppler
def test_text_under_the_box_turns_it_amber_and_find_a_free_spot_clears_it(
    qtbot: QtBot, paths: Paths, tmp_path: Path, open_window: WindowFactory
) -> None:
    pdf = make_page(tmp_path / "surat.pdf", Things(text=LINES))
    dialog = checked(qtbot, open_window, paths, pdf)
    guard, canvas = dialog.overlap, dialog.pages.canvas

    assert guard.covered == (Code.STAMP_COVERS_TEXT,)
    assert guard.isVisible() and guard.find_button.isVisible() and guard.find_button.isEnabled()
    assert guard.reason.text() == "⚠ " + cover_finding(Code.STAMP_COVERS_TEXT, 1).message.text()
    assert canvas.stamp.warning
    assert near(stamp_frame_colour(dialog), AMBER), stamp_frame_colour(dialog).name()
    before = canvas.placement().rect

    qtbot.mouseClick(guard.find_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: canvas.placement().rect != before, timeout=10000)

    after = canvas.placement()
    assert guard.covered == () and not guard.isVisible() and not canvas.stamp.warning
    assert not near(stamp_frame_colour(dialog), AMBER)
    assert abs(after.rect.width - before.width) < 0.01, "the size is kept"
    geometry = page_geometry(pdf, 0)
    assert poppler_ink(pdf, geometry, before, tmp_path) > 0
    assert poppler_ink(pdf, geometry, after.rect, tmp_path) == 0


def test_dragging_onto_text_warns_and_dragging_off_clears(
    qtbot: QtBot, paths: Paths, tmp_path: Path, open_window: WindowFactory
) -> None:
    pdf = make_page(tmp_path / "heading.pdf", Things(text=[Rect(300, 700, 560, 730)]))
    dialog = checked(qtbot, open_window, paths, pdf)
    guard = dialog.overlap
    assert guard.covered == () and not guard.isVisible()

    drag(qtbot, dialog, QPointF(-60, -640))  # from the bottom-right up onto the heading
    qtbot.waitUntil(lambda: guard.covered == (Code.STAMP_COVERS_TEXT,), timeout=5000)
    assert guard.isVisible()
    drag(qtbot, dialog, QPointF(0, 300))
    qtbot.waitUntil(lambda: guard.covered == (), timeout=5000)
    assert not guard.isVisible()


def test_a_full_page_says_there_is_no_free_spot(
    qtbot: QtBot, paths: Paths, tmp_path: Path, open_window: WindowFactory
) -> None:
    pdf = make_page(tmp_path / "full.pdf", Things(extra_content=b"0 g 0 0 595 842 re f\n"))
    dialog = checked(qtbot, open_window, paths, pdf)
    guard = dialog.overlap
    before = dialog.pages.canvas.placement()
    with qtbot.waitSignal(guard.checked, timeout=10000):
        qtbot.mouseClick(guard.find_button, Qt.MouseButton.LeftButton)
    assert guard.covered == (Code.STAMP_COVERS_DRAWING,)
    assert not guard.find_button.isEnabled()
    assert guard.reason.text().endswith(Message(NO_FREE_SPOT_TEXT, {"page": 1}).text())
    assert dialog.pages.canvas.placement() == before


def test_confirming_over_text_queues_it_with_the_warning_kept(
    qtbot: QtBot, paths: Paths, tmp_path: Path, open_window: WindowFactory
) -> None:
    """A warning, not a refusal: the user may mean it; the request says what was covered."""
    pdf = make_page(tmp_path / "surat.pdf", Things(text=LINES))
    dialog = checked(qtbot, open_window, paths, pdf)
    describe(qtbot, dialog)
    with qtbot.waitSignal(dialog.queued, timeout=10000) as queued:
        qtbot.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
    accepted = queued.args[0]
    assert Code.STAMP_COVERS_TEXT in [f.code for f in accepted.warnings]
    box = Outbox.open(paths)
    assert len(box.requests()) == 1
    box.close()

"""The stamp's rectangle in PDF points after real mouse drags and resizes, on every kind of page.

The expected rectangle is computed independently from the page's boxes (the
mapping in STYLE.md), not through ``placement.visual_to_user``, so a mistake in
either the scene units or the conversion shows up here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtPdf import QPdfDocument
from pytestqt.qtbot import QtBot

from meterai.placement import STAMP_MAX_PT, STAMP_MIN_PT, page_count, page_geometry
from meterai_desk.widgets.page_canvas import GRIP_PT, PageCanvas, PagePanel
from tests.support.pdfs import make_pdf

TOLERANCE = 1.0


def _panel(qtbot: QtBot, pdf: Path) -> PagePanel:
    panel = PagePanel()
    qtbot.addWidget(panel)
    panel.resize(700, 900)
    panel.show()
    qtbot.waitExposed(panel)
    document = QPdfDocument(panel)
    document.load(str(pdf))
    pages = tuple(page_geometry(pdf, i) for i in range(page_count(pdf)))
    panel.canvas.set_document(document, pages)
    return panel


def _view_point(canvas: PageCanvas, scene: QPointF) -> QPoint:
    return canvas.mapFromScene(scene)


def _drag(qtbot: QtBot, canvas: PageCanvas, start: QPointF, end: QPointF) -> None:
    viewport = canvas.viewport()
    a, b = _view_point(canvas, start), _view_point(canvas, end)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=a)
    for i in range(1, 6):
        step = a + (b - a) * (i / 5)
        qtbot.mouseMove(viewport, step)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=b)


def _expected_user(visual: QRectF, box: tuple[float, float, float, float], rotate: int):
    """STYLE.md's table, written out again: visual (x, y) to user space."""
    llx, lly, urx, ury = box

    def point(x: float, y: float) -> tuple[float, float]:
        return {
            0: (llx + x, ury - y),
            90: (llx + y, lly + x),
            180: (urx - x, lly + y),
            270: (urx - y, ury - x),
        }[rotate]

    (ax, ay), (bx, by) = point(visual.left(), visual.top()), point(visual.right(), visual.bottom())
    return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)


CASES = [
    pytest.param(0, None, id="normal"),
    pytest.param(90, None, id="rotated-90"),
    pytest.param(270, None, id="rotated-270"),
    pytest.param(180, None, id="rotated-180"),
    pytest.param(0, (50, 80, 500, 700), id="cropped"),
    pytest.param(90, (40, 60, 520, 760), id="cropped-rotated-90"),
]


@pytest.mark.parametrize(("rotate", "cropbox"), CASES)
def test_drag_and_resize_give_the_rect_in_pdf_points(
    qtbot: QtBot, tmp_path: Path, rotate: int, cropbox: tuple[float, ...] | None
) -> None:
    pdf = make_pdf(tmp_path / "doc.pdf", pages=2, rotate=rotate, cropbox=cropbox)
    panel = _panel(qtbot, pdf)
    canvas = panel.canvas
    assert canvas.page_index == 1, "the default is the last page"
    stamp = canvas.stamp

    # Drag the stamp body by (-150, -200) visual points.
    before = stamp.scene_rect()
    _drag(qtbot, canvas, before.center(), before.center() + QPointF(-150, -200))
    moved = stamp.scene_rect()
    assert abs(moved.left() - (before.left() - 150)) < TOLERANCE
    assert abs(moved.top() - (before.top() - 200)) < TOLERANCE

    # Pull the grip outwards by 20 points: the stamp stays square and grows.
    grip = QPointF(moved.right() - GRIP_PT / 2, moved.bottom() - GRIP_PT / 2)
    _drag(qtbot, canvas, grip, grip + QPointF(20, 12))
    resized = stamp.scene_rect()
    assert resized.topLeft() == moved.topLeft()
    assert abs(resized.width() - (moved.width() + 20)) < TOLERANCE
    assert resized.width() == resized.height()

    geom = page_geometry(pdf, 1)
    box = geom.cropbox
    want = _expected_user(resized, (box.x1, box.y1, box.x2, box.y2), rotate)
    got = canvas.placement()
    assert got.page_index == 1
    for a, b in zip((got.rect.x1, got.rect.y1, got.rect.x2, got.rect.y2), want, strict=True):
        assert abs(a - b) < TOLERANCE, (got.rect, want)


def test_the_stamp_cannot_leave_the_page_or_the_size_bounds(qtbot: QtBot, tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "doc.pdf")
    canvas = _panel(qtbot, pdf).canvas
    stamp = canvas.stamp
    start = stamp.scene_rect().center()
    _drag(qtbot, canvas, start, start + QPointF(400, 400))
    width, height = page_geometry(pdf, 0).visual_size
    r = stamp.scene_rect()
    assert r.right() <= width + 0.01 and r.bottom() <= height + 0.01

    stamp.set_size(1000)
    assert stamp.size <= STAMP_MAX_PT
    stamp.set_size(1)
    assert stamp.size == STAMP_MIN_PT
    stamp.setPos(-50, -50)
    assert stamp.pos() == QPointF(0, 0)


def test_arrow_keys_move_the_stamp(qtbot: QtBot, tmp_path: Path) -> None:
    canvas = _panel(qtbot, make_pdf(tmp_path / "doc.pdf")).canvas
    canvas.setFocus()
    before = canvas.stamp.pos()
    qtbot.keyClick(canvas, Qt.Key.Key_Left)
    qtbot.keyClick(canvas, Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)
    assert canvas.stamp.pos() == before + QPointF(-1, -10)
    size = canvas.stamp.size
    qtbot.keyClick(canvas, Qt.Key.Key_Plus)
    assert canvas.stamp.size == size + 2


def test_page_navigation_and_zoom(qtbot: QtBot, tmp_path: Path) -> None:
    panel = _panel(qtbot, make_pdf(tmp_path / "doc.pdf", pages=3))
    assert panel.page.value() == 3 and not panel.next.isEnabled()
    panel.previous.click()
    assert panel.canvas.page_index == 1 and panel.page.value() == 2
    zoom = panel.canvas.zoom_factor()
    panel.zoom_in.click()
    assert panel.canvas.zoom_factor() > zoom
    panel.fit.click()
    assert abs(panel.canvas.zoom_factor() - zoom) < 1e-6


def test_the_preview_shows_a_signature_drawn_in_a_viewer_on_white_paper(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """Escaped bug: QtPdf leaves annotations out and the paper transparent unless asked, so
    a hand-drawn signature (an /Ink annotation) was missing from the preview the user
    places the stamp on, and the page blended into the grey around it."""
    from meterai.placement import Rect
    from tests.support.content import Things, make_page

    signature = Rect(100, 600, 300, 700)  # user space; visual y = 842 - y on an upright page
    pdf = make_page(tmp_path / "signed.pdf", Things(ink_annotation=[signature]))
    panel = _panel(qtbot, pdf)
    canvas = panel.canvas
    canvas.stamp.setVisible(False)
    image = canvas.viewport().grab().toImage()

    def colour_at(x: float, y: float) -> tuple[int, int, int]:
        point = canvas.mapFromScene(QPointF(x, y))
        colour = image.pixelColor(point.x(), point.y())
        return colour.red(), colour.green(), colour.blue()

    inked = [
        colour_at(x, y)
        for x in range(100, 300, 2)
        for y in range(842 - 700, 842 - 600, 2)
        if sum(colour_at(x, y)) < 3 * 160
    ]
    assert inked, "the signature is not in the preview"
    assert colour_at(450, 400) == (255, 255, 255), "the paper is not white"

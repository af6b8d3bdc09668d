"""The page preview with the stamp on it: where the user says "here".

``QPdfView`` offers no page-to-viewport mapping, so the page is rendered with
``QPdfDocument.render()`` into a ``QGraphicsView`` whose scene units are PDF points
of the *visual* page (the CropBox turned by ``/Rotate``, top-left origin). The stamp
is an item in that scene: its scene rectangle is the visual rectangle, and
``placement.visual_to_user`` (Qt-free, shared with the CLI) turns it into what the
provider wants. Every move is clamped in ``itemChange``, so the stamp can never be
left hanging off the page, whatever moved it: mouse, keys or a remembered position.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QKeyEvent,
    QPainter,
    QPen,
    QPixmap,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtPdf import QPdfDocument, QPdfDocumentRenderOptions
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSceneMouseEvent,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QStyle,
    QStyleOptionGraphicsItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from meterai.i18n import _
from meterai.placement import (
    STAMP_DEFAULT_PT,
    STAMP_MAX_PT,
    STAMP_MIN_PT,
    PageGeometry,
    Placement,
    Rect,
    default_placement,
    user_to_visual,
    visual_to_user,
)
from meterai.specimen import specimen_png
from meterai_desk.qtranslator import follow_language

RENDER_SCALE = 2.0
"""Pixels per point of the rendered page: sharp up to 200% zoom on a standard screen."""
GRIP_PT = 12.0
AMBER = QColor(230, 145, 0)
"""The stamp's frame while it would hide something under it (``widgets.overlap_guard``)."""
KEY_STEP_PT = 1.0
KEY_BIG_STEP_PT = 10.0
ZOOM_STEP = 1.25
_WITH_ANNOTATIONS = QPdfDocumentRenderOptions()
# A signature drawn in a PDF viewer is an annotation: shown, as every viewer and the
# stamped file show it (QtPdf leaves annotations out unless asked).
_WITH_ANNOTATIONS.setRenderFlags(QPdfDocumentRenderOptions.RenderFlag.Annotations)


@cache
def specimen_pixmap() -> QPixmap:
    pixmap = QPixmap()
    pixmap.loadFromData(specimen_png(300))
    return pixmap


class _Grip(QGraphicsRectItem):
    """The bottom-right handle: dragging it resizes the stamp, keeping it square."""

    def __init__(self, stamp: StampItem) -> None:
        super().__init__(0, 0, GRIP_PT, GRIP_PT, stamp)
        self._stamp = stamp
        self.setBrush(QBrush(QColor(30, 60, 140)))
        self.setPen(QPen(Qt.GlobalColor.white, 0))
        self.setCursor(Qt.CursorShape.SizeFDiagCursor)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self._start = QPointF()
        self._start_size = 0.0

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        """Remember where the drag began: the size follows the pointer's travel, not its spot."""
        self._start, self._start_size = event.scenePos(), self._stamp.size
        event.accept()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        travel = event.scenePos() - self._start
        self._stamp.set_size(self._start_size + max(travel.x(), travel.y()))
        event.accept()

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        event.accept()


class StampItem(QGraphicsObject):
    """A square of ``size`` points at ``pos()``; its scene rect is the visual rectangle."""

    moved = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._size = STAMP_DEFAULT_PT
        self._bounds = QRectF(0, 0, STAMP_MAX_PT, STAMP_MAX_PT)
        flags = QGraphicsItem.GraphicsItemFlag
        self.setFlags(
            flags.ItemIsMovable
            | flags.ItemIsFocusable
            | flags.ItemIsSelectable
            | flags.ItemSendsGeometryChanges
        )
        self.setCursor(Qt.CursorShape.SizeAllCursor)
        self.setZValue(10)
        self._warning = False
        self._grip = _Grip(self)
        self._place_grip()

    # --- geometry ------------------------------------------------------------------

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self._size, self._size)

    def rect(self) -> QRectF:
        return self.boundingRect()

    @property
    def size(self) -> float:
        return self._size

    def scene_rect(self) -> QRectF:
        return self.mapRectToScene(self.rect())

    def set_bounds(self, bounds: QRectF) -> None:
        """The visible page: the stamp is kept inside it from now on."""
        self._bounds = QRectF(bounds)
        self.set_size(self._size)

    def max_size(self) -> float:
        """As large as the provider allows, but never larger than the page leaves room for."""
        room = min(self._bounds.right() - self.pos().x(), self._bounds.bottom() - self.pos().y())
        return max(min(STAMP_MAX_PT, room), min(STAMP_MIN_PT, self._page_side()))

    def _page_side(self) -> float:
        return min(self._bounds.width(), self._bounds.height())

    def set_size(self, size: float) -> None:
        size = min(max(size, STAMP_MIN_PT), self.max_size())
        size = min(size, self._page_side())
        if size != self._size:
            self.prepareGeometryChange()
            self._size = size
            self._place_grip()
        self.setPos(self.pos())  # re-clamp: a smaller page may push the stamp back in
        self.moved.emit()

    def set_visual_rect(self, rect: QRectF) -> None:
        """Put the stamp at ``rect`` (visual points), as far as it fits."""
        self.setPos(QPointF(0, 0))
        self.set_size(max(rect.width(), rect.height()))
        self.setPos(rect.topLeft())

    @property
    def warning(self) -> bool:
        return self._warning

    def set_warning(self, warning: bool) -> None:
        """Amber while the stamp would hide something: seen where the eye already is."""
        if warning != self._warning:
            self._warning = warning
            self.update()

    def _place_grip(self) -> None:
        self._grip.setPos(self._size - GRIP_PT, self._size - GRIP_PT)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: object) -> object:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange and isinstance(
            value, QPointF
        ):
            return self._clamped(value)
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            self.moved.emit()
        return super().itemChange(change, value)

    def _clamped(self, pos: QPointF) -> QPointF:
        b = self._bounds
        x = min(max(pos.x(), b.left()), b.right() - self._size)
        y = min(max(pos.y(), b.top()), b.bottom() - self._size)
        return QPointF(max(x, b.left()), max(y, b.top()))

    # --- keyboard ------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Arrows move (Shift: by 10 pt); + and - resize, so no mouse is needed."""
        step = KEY_BIG_STEP_PT if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1.0
        moves = {
            Qt.Key.Key_Left: (-step, 0.0),
            Qt.Key.Key_Right: (step, 0.0),
            Qt.Key.Key_Up: (0.0, -step),
            Qt.Key.Key_Down: (0.0, step),
        }
        key = Qt.Key(event.key())
        if key in moves:
            dx, dy = moves[key]
            self.setPos(self.pos() + QPointF(dx, dy))
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.set_size(self._size + 2 * step)
        elif key == Qt.Key.Key_Minus:
            self.set_size(self._size - 2 * step)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    # --- painting ------------------------------------------------------------------

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.setOpacity(0.9)
        painter.drawPixmap(self.rect(), specimen_pixmap(), QRectF(specimen_pixmap().rect()))
        painter.setOpacity(1.0)
        active = self.hasFocus() or self.isSelected()
        colour = QColor(30, 60, 140) if active else QColor(120, 20, 60)
        if self._warning:
            colour = AMBER
            painter.fillRect(self.rect(), QColor(AMBER.red(), AMBER.green(), AMBER.blue(), 60))
        pen = QPen(colour, 0)
        pen.setStyle(
            Qt.PenStyle.DashLine if active and not self._warning else Qt.PenStyle.SolidLine
        )
        pen.setCosmetic(True)
        pen.setWidth(4 if self._warning else 2)
        painter.setPen(pen)
        painter.drawRect(self.rect())


class PageCanvas(QGraphicsView):
    """One page at a time, in points, with the stamp item on top."""

    placementChanged = Signal()
    pageChanged = Signal(int)
    zoomChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pageCanvas")
        self._scene = QGraphicsScene(self)
        self.setScene(self._scene)
        self.setRenderHints(
            QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform
        )
        self.setBackgroundBrush(QColor(0xE9, 0xEC, 0xEF))
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        # QtPdf leaves the paper transparent: without a sheet under it the page blends
        # into the view's grey and its edges (where a stamp may go) cannot be seen.
        self._paper = QGraphicsRectItem()
        self._paper.setBrush(QBrush(Qt.GlobalColor.white))
        self._paper.setPen(QPen(QColor(0xB8, 0xC2, 0xCC), 0))
        self._scene.addItem(self._paper)
        self._page_item = QGraphicsPixmapItem()
        self._page_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._page_item.setShapeMode(QGraphicsPixmapItem.ShapeMode.BoundingRectShape)
        self._scene.addItem(self._page_item)
        self.stamp = StampItem()
        self._scene.addItem(self.stamp)
        self.stamp.setVisible(False)
        self.stamp.moved.connect(self.placementChanged)
        self._document: QPdfDocument | None = None
        self._pages: tuple[PageGeometry, ...] = ()
        self._index = 0
        self._fit = True

    # --- document and pages --------------------------------------------------------

    def set_document(self, document: QPdfDocument, pages: tuple[PageGeometry, ...]) -> None:
        """Show ``document`` with the stamp at the default place: bottom-right, last page."""
        self._document, self._pages = document, pages
        if not pages:
            self.stamp.setVisible(False)
            return
        last = pages[-1]
        self.show_page(last.index)
        self.set_placement(default_placement(last))
        self.stamp.setVisible(True)
        self.stamp.setFocus()

    @property
    def page_count(self) -> int:
        return len(self._pages)

    @property
    def page_index(self) -> int:
        return self._index

    def page_geometry(self) -> PageGeometry:
        return self._pages[self._index]

    def show_page(self, index: int) -> None:
        """Render page ``index``; the stamp keeps its visual position, clamped to the page."""
        if self._document is None or not 0 <= index < len(self._pages):
            return
        self._index = index
        width, height = self._pages[index].visual_size
        size = QSize(max(1, round(width * RENDER_SCALE)), max(1, round(height * RENDER_SCALE)))
        image = self._document.render(index, size, _WITH_ANNOTATIONS)
        self._page_item.setPixmap(QPixmap.fromImage(image))
        self._page_item.setScale(width / max(1, size.width()))
        bounds = QRectF(0, 0, width, height)
        self._paper.setRect(bounds)
        self._scene.setSceneRect(bounds.adjusted(-12, -12, 12, 12))
        self.stamp.set_bounds(bounds)
        if self._fit:
            self.fit_page()
        self.pageChanged.emit(index)
        self.placementChanged.emit()

    # --- the placement -------------------------------------------------------------

    def visual_rect(self) -> Rect:
        r = self.stamp.scene_rect()
        return Rect(r.left(), r.top(), r.right(), r.bottom())

    def placement(self) -> Placement:
        """The stamp in PDF user space, as core and the provider want it."""
        geom = self.page_geometry()
        return Placement(geom.index, visual_to_user(self.visual_rect(), geom))

    def set_placement(self, placement: Placement) -> None:
        if placement.page_index != self._index:
            self.show_page(placement.page_index)
        visual = user_to_visual(placement.rect, self.page_geometry())
        self.stamp.set_visual_rect(QRectF(visual.x1, visual.y1, visual.width, visual.height))

    def set_visual(self, rect: QRectF) -> None:
        self.stamp.set_visual_rect(rect)

    # --- zoom ----------------------------------------------------------------------

    def zoom_in(self) -> None:
        self._zoom(ZOOM_STEP)

    def zoom_out(self) -> None:
        self._zoom(1 / ZOOM_STEP)

    def fit_page(self) -> None:
        self._fit = True
        self.fitInView(self._scene.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        self.zoomChanged.emit()

    def zoom_factor(self) -> float:
        return self.transform().m11()

    def _zoom(self, factor: float) -> None:
        self._fit = False
        self.scale(factor, factor)
        self.zoomChanged.emit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fit:
            self.fit_page()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self._zoom(ZOOM_STEP if event.angleDelta().y() > 0 else 1 / ZOOM_STEP)
            event.accept()
            return
        super().wheelEvent(event)

    def focusInEvent(self, event: object) -> None:
        super().focusInEvent(event)  # type: ignore[arg-type]
        if self.stamp.isVisible():
            self.stamp.setFocus()


class PagePanel(QWidget):
    """The canvas with page navigation and zoom under it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = PageCanvas(self)
        style = self.style()
        self.previous = self._button(style.standardIcon(QStyle.StandardPixmap.SP_ArrowBack))
        self.next = self._button(style.standardIcon(QStyle.StandardPixmap.SP_ArrowForward))
        self.page = QSpinBox(self)
        self.page.setObjectName("pageNumber")
        self.page.setMinimum(1)
        self.of_pages = QLabel(self)
        self.zoom_out = self._button(None, "−")
        self.zoom_in = self._button(None, "+")
        self.fit = self._button(None)
        self.hint = QLabel(self)
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for widget in (self.previous, self.page, self.of_pages, self.next):
            bar.addWidget(widget)
        bar.addStretch(1)
        for widget in (self.zoom_out, self.zoom_in, self.fit):
            bar.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(bar)
        layout.addWidget(self.hint)

        self.previous.clicked.connect(lambda: self.canvas.show_page(self.canvas.page_index - 1))
        self.next.clicked.connect(lambda: self.canvas.show_page(self.canvas.page_index + 1))
        self.page.valueChanged.connect(lambda n: self.canvas.show_page(n - 1))
        self.zoom_in.clicked.connect(self.canvas.zoom_in)
        self.zoom_out.clicked.connect(self.canvas.zoom_out)
        self.fit.clicked.connect(self.canvas.fit_page)
        self.canvas.pageChanged.connect(self._sync_navigation)
        follow_language(self, self.retranslate)

    def _button(self, icon: object, text: str = "") -> QToolButton:
        button = QToolButton(self)
        if icon is not None:
            button.setIcon(icon)  # type: ignore[arg-type]
        if text:
            button.setText(text)
        button.setAutoRaise(True)
        return button

    def _sync_navigation(self, index: int) -> None:
        count = self.canvas.page_count
        self.page.blockSignals(True)
        self.page.setMaximum(max(1, count))
        self.page.setValue(index + 1)
        self.page.blockSignals(False)
        self.of_pages.setText(_("of {count}").format(count=count))
        self.previous.setEnabled(index > 0)
        self.next.setEnabled(index < count - 1)

    def retranslate(self) -> None:
        self.previous.setToolTip(_("Previous page"))
        self.next.setToolTip(_("Next page"))
        self.zoom_in.setToolTip(_("Zoom in"))
        self.zoom_out.setToolTip(_("Zoom out"))
        self.fit.setText(_("Whole page"))
        self.of_pages.setText(_("of {count}").format(count=self.canvas.page_count))
        self.hint.setText(
            _(
                "Drag the stamp to where it should go and pull its corner to resize it. "
                "Keyboard: arrow keys move it (Shift for bigger steps), + and − resize it."
            )
        )

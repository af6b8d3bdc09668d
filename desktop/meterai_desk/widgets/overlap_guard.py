"""Under the page: what the stamp would hide, and **Find a free spot**.

The stamp turns amber and the reason shows as soon as the box lies over text, a
picture, drawing, a signature or a form field (``meterai.overlap``, the check intake
runs again on confirm). Each page is read once on the worker pool (a render and a list
of what is on it); checking the box against that is a crop and a count, quick enough to
follow every move of the box on the GUI thread. The free spot is searched on the pool.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from meterai.i18n import _
from meterai.messages import Message
from meterai.placement import Rect
from meterai_desk.qtranslator import follow_language
from meterai_desk.tasks import TaskRunner
from meterai_desk.widgets.page_canvas import PageCanvas

if TYPE_CHECKING:
    # pypdfium2 and the PDF readers load on the worker, the first time a page is read.
    from meterai.documents.preflight import Code
    from meterai.overlap import PageContent

log = logging.getLogger(__name__)

KEEP_PAGES = 4
"""Pages kept read (about 2 MB each for A4): enough to go back and forth."""


class OverlapGuard(QWidget):
    """The amber line under the page of the add dialog, with its button."""

    checked = Signal()
    """After each verdict (a page read, the box moved, a free spot found or not)."""

    def __init__(
        self, canvas: PageCanvas, tasks: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("overlapGuard")
        self._canvas, self._tasks = canvas, tasks
        self._source: bytes | None = None
        self._generation = 0
        self._pages: dict[int, PageContent] = {}
        self._reading: set[int] = set()
        self._covered: tuple[Code, ...] = ()
        self._no_spot = False
        self.reason = QLabel(self)
        self.reason.setObjectName("overlapReason")
        self.reason.setWordWrap(True)
        self.reason.setStyleSheet("color: #8a5a00;")
        self.find_button = QPushButton(self)
        self.find_button.setObjectName("findFreeSpot")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.addWidget(self.reason, 1)
        layout.addWidget(self.find_button, 0, Qt.AlignmentFlag.AlignTop)
        self.find_button.clicked.connect(self.find_free_spot)
        canvas.pageChanged.connect(self._page_shown)
        canvas.placementChanged.connect(self.recheck)
        self.hide()
        follow_language(self, self.retranslate)

    # --- what the user sees ---------------------------------------------------------

    @property
    def covered(self) -> tuple[Code, ...]:
        """What the stamp hides where it is now (``()`` when clear, or not known yet)."""
        return self._covered

    @property
    def known(self) -> bool:
        """Whether the page the stamp is on has been read, so ``covered`` is a verdict."""
        return self._canvas.page_index in self._pages

    def recheck(self) -> None:
        content = self._pages.get(self._canvas.page_index)
        if content is None:
            self._show((), no_spot=False)
            return
        from meterai.overlap import covers

        self._show(covers(content, self._canvas.visual_rect()), no_spot=False)

    def _show(self, covered: tuple[Code, ...], *, no_spot: bool) -> None:
        self._covered, self._no_spot = covered, no_spot
        self._canvas.stamp.set_warning(bool(covered))
        self.setVisible(bool(covered))
        self.retranslate()
        self.checked.emit()

    def retranslate(self) -> None:
        self.find_button.setText(_("Find a free spot"))
        self.find_button.setToolTip(
            _("Move the stamp to the nearest place on this page where it hides nothing")
        )
        self.find_button.setEnabled(not self._no_spot)
        self.reason.setText("\n".join(f"⚠ {m.text()}" for m in self._messages()))

    def _messages(self) -> list[Message]:
        from meterai.overlap import NO_FREE_SPOT_TEXT, cover_finding

        page = self._canvas.page_index + 1
        messages = [cover_finding(code, page).message for code in self._covered]
        if self._no_spot:
            messages.append(Message(NO_FREE_SPOT_TEXT, {"page": page}))
        return messages

    # --- reading pages on the pool ----------------------------------------------------

    def set_source(self, source: bytes) -> None:
        """The bytes the stamp lands on (the add dialog's preview); forgets older pages."""
        self._source = source
        self._generation += 1
        self._pages.clear()
        self._reading.clear()
        self._show((), no_spot=False)

    def _page_shown(self, index: int) -> None:
        if self._source is None or index in self._pages or index in self._reading:
            self.recheck()
            return
        source, generation = self._source, self._generation
        geometry = self._canvas.page_geometry()
        self._reading.add(index)

        def read() -> PageContent:
            from meterai.overlap import read_page

            return read_page(source, geometry)

        self._tasks.run(
            read,
            lambda content: self._page_read(generation, index, content),
            lambda exc: self._unreadable(generation, index, exc),
            owner=self,
        )

    def _page_read(self, generation: int, index: int, content: PageContent) -> None:
        if generation != self._generation:
            return
        self._reading.discard(index)
        self._pages[index] = content
        while len(self._pages) > KEEP_PAGES:
            del self._pages[next(iter(self._pages))]
        if index == self._canvas.page_index:
            self.recheck()

    def _unreadable(self, generation: int, index: int, exc: BaseException) -> None:
        """Intake checks again on confirm and says so there; here the box stays as it is."""
        if generation == self._generation:
            self._reading.discard(index)
        log.warning("page %d not checked for what lies under the stamp: %s", index + 1, exc)

    # --- the free spot ---------------------------------------------------------------

    def find_free_spot(self) -> None:
        content = self._pages.get(self._canvas.page_index)
        if content is None:
            return
        wanted, generation = self._canvas.visual_rect(), self._generation
        self.find_button.setEnabled(False)

        def search() -> Rect | None:
            from meterai.overlap import free_spot

            return free_spot(content, wanted)

        self._tasks.run(search, lambda spot: self._spot_found(generation, spot), owner=self)

    def _spot_found(self, generation: int, spot: Rect | None) -> None:
        if generation != self._generation:
            return
        if spot is None:
            self._show(self._covered, no_spot=True)
            return
        self._canvas.set_visual(QRectF(spot.x1, spot.y1, spot.width, spot.height))
        self._canvas.stamp.setFocus()

"""Where the user last put the stamp, per document type.

A contract is stamped where the signatures are, a statement elsewhere; remembering
per type saves the drag next time. Positions are kept relative to the bottom-right
corner of a page counted from the end, because that is how a stamp's place is
described in practice ("bottom right of the last page") and it survives documents of
different lengths and paper sizes. QSettings in the config folder holds it: a small
ini file, written rarely.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSettings

from meterai.settings import Paths


@dataclass(frozen=True)
class Remembered:
    from_end: int
    right: float
    bottom: float
    size: float

    def page_index(self, count: int) -> int:
        return max(0, count - 1 - self.from_end)

    def visual_rect(self, page_size: tuple[float, float]) -> QRectF:
        width, height = page_size
        return QRectF(
            width - self.right - self.size, height - self.bottom - self.size, self.size, self.size
        )


class PlacementMemory:
    def __init__(self, paths: Paths) -> None:
        self._settings = QSettings(
            str(paths.config_dir / "desktop.ini"), QSettings.Format.IniFormat
        )

    def recall(self, doc_type: str) -> Remembered | None:
        raw = self._settings.value(f"placement/{doc_type}")
        if not isinstance(raw, str):
            return None
        try:
            from_end, right, bottom, size = raw.split(",")
            return Remembered(int(from_end), float(right), float(bottom), float(size))
        except ValueError:
            return None

    def remember(
        self,
        doc_type: str,
        page_index: int,
        count: int,
        page_size: tuple[float, float],
        rect: QRectF,
    ) -> None:
        width, height = page_size
        value = (
            f"{count - 1 - page_index},{width - rect.right():.2f},"
            f"{height - rect.bottom():.2f},{rect.width():.2f}"
        )
        self._settings.setValue(f"placement/{doc_type}", value)

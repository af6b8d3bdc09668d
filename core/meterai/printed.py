"""The one layout of the PDFs we print: the day report and a request's evidence summary.

Both are drawn with fpdf2, which measures every string with the font's real metrics
and wraps a table cell that does not fit its column. The day report used to place
its columns at fixed offsets sized by counting characters, and a 22-character serial
number in capitals ran into the time column (issue 18, item 10): column widths are
now measured from what the columns hold, and a column that still cannot fit wraps
inside its own cell instead of spilling into its neighbour.

The standard Helvetica font needs no font file, but covers Latin-1 only: Indonesian
and English fit in it; anything else in a file name becomes ``?``, which keeps the
page honest about what it could not draw.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, TableBordersLayout, WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from meterai.fsutil import atomic_write_bytes

FONT = "Helvetica"
SIZE = 8.5  # points
LEADING = 0.54  # mm of line height per point of text size: 4.6 mm for 8.5 pt
PADDING = 1.2  # mm: each side of a table cell
MARGIN = 14.0  # mm
_REPLACEMENTS = {"…": "...", "→": "->", "—": "-", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"'}


class PrintedPage(FPDF):
    """A4 portrait, page numbers "n/N" at the top right, the title on every page."""

    def __init__(self, title: str, *, size: float = SIZE) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.text_pt, self.line_mm = size, size * LEADING
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=MARGIN)
        self.title_text = latin1(title)
        self.set_title(self.title_text)
        self.set_creator("Meterai Desk")
        self.add_page()

    @property
    def scale(self) -> float:
        """Titles and headings shrink with the text, so a page drawn smaller fits more."""
        return self.text_pt / SIZE

    def header(self) -> None:
        self.set_font(FONT, "B", 12 * self.scale)
        self.cell(self.epw - 20, 7 * self.scale, self.title_text)
        self.set_font(FONT, "", self.text_pt)
        self.cell(20, 7 * self.scale, f"{self.page_no()}/{{nb}}", align=Align.R)
        self.ln(10 * self.scale)

    @property
    def free_width(self) -> float:
        """The width between the margins."""
        return float(self.epw)

    def heading(self, text: str) -> None:
        self.ln(1.5 * self.scale)
        self.set_font(FONT, "B", 10 * self.scale)
        self.multi_cell(0, 5.5 * self.scale, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, "", self.text_pt)

    def paragraph(self, text: str, *, bold: bool = False) -> None:
        self.set_font(FONT, "B" if bold else "", self.text_pt)
        self.multi_cell(0, self.line_mm, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, "", self.text_pt)

    def fields(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Label and value on one line each, the labels in a measured column of their own."""
        self.print_table([(label, value) for label, value in pairs], headings=False, borders=False)

    def print_table(
        self,
        rows: Sequence[Sequence[str]],
        *,
        headings: bool = True,
        borders: bool = True,
        whole: Collection[int] = (),
    ) -> None:
        """``rows`` (the first one the headings, when ``headings``) in measured columns;
        the columns numbered in ``whole`` (a serial number, a time) are never wrapped."""
        cells = [[latin1(cell) for cell in row] for row in rows]
        if not cells:
            return
        widths = self.column_widths(cells, headings=headings, whole=whole)
        self.set_font(FONT, "", self.text_pt)
        with super().table(
            col_widths=widths,
            width=sum(widths),
            align=Align.L,
            text_align=Align.L,
            line_height=self.line_mm,
            padding=(0.6 * self.scale, PADDING),
            first_row_as_headings=headings,
            headings_style=FontFace(emphasis="BOLD"),
            borders_layout=(
                TableBordersLayout.HORIZONTAL_LINES if borders else TableBordersLayout.NONE
            ),
            wrapmode=WrapMode.WORD,
        ) as table:
            for row in cells:
                table.row(row)
        self.ln(1.5 * self.scale)

    def column_widths(
        self, cells: Sequence[Sequence[str]], *, headings: bool, whole: Collection[int] = ()
    ) -> list[float]:
        """Each column as wide as its widest cell. If they do not all fit, only the widest
        of the columns not in ``whole`` give up width, down to one common cap (a file
        name wraps; a serial number, a time or an amount keeps its line)."""
        natural = [
            max(self._measure(row[i], bold=headings and n == 0) for n, row in enumerate(cells))
            + 2 * PADDING
            for i in range(len(cells[0]))
        ]
        return capped(natural, self.free_width - 0.01, whole)

    def _measure(self, text: str, *, bold: bool) -> float:
        self.set_font(FONT, "B" if bold else "", self.text_pt)
        widths = [self.get_string_width(line) for line in text.splitlines() or [""]]
        self.set_font(FONT, "", self.text_pt)
        return float(max(widths))

    def to_bytes(self) -> bytes:
        return bytes(self.output())

    def save(self, dest: Path) -> None:
        atomic_write_bytes(dest, self.to_bytes())


def capped(natural: Sequence[float], room: float, whole: Collection[int] = ()) -> list[float]:
    """Widths that fit ``room``: the columns in ``whole`` and the narrowest others as they
    are, the widest others at one common cap. When the whole columns alone leave less
    than 20 mm for the rest, every column may wrap: the table must fit the page."""
    if sum(natural) <= room:
        return list(natural)
    left = room - sum(natural[i] for i in whole)
    if left < 20 * (len(natural) - len(whole)):
        return capped(natural, room)
    others = sorted(w for i, w in enumerate(natural) if i not in whole)
    for count, width in zip(range(len(others), 0, -1), others, strict=True):
        cap = left / count
        if width > cap:
            return [w if i in whole else min(w, cap) for i, w in enumerate(natural)]
        left -= width
    return list(natural)


def latin1(text: str) -> str:
    """What Helvetica can draw: common typographic marks spelled out, the rest ``?``."""
    for mark, plain in _REPLACEMENTS.items():
        text = text.replace(mark, plain)
    return text.encode("latin-1", "replace").decode("latin-1")

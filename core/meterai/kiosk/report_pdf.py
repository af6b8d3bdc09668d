"""The day's ledger as a one-table PDF an operator can print or mail to the distributor.

Drawn with pikepdf (already a dependency) and the standard Helvetica font, so no
font file, layout engine or Qt is needed in the core. Helvetica covers Latin-1
only: other characters in a file name become ``?``, which keeps the table honest
about what it could not draw.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pikepdf

from meterai.fsutil import atomic_write_bytes

A4 = (595.0, 842.0)
MARGIN = 40.0
SIZE = 8.5
LEADING = 13.0
# Column x positions and widths in characters (Helvetica averages ~0.5 em per character).
COLUMNS = ((0, 4), (22, 18), (112, 34), (282, 6), (312, 26), (432, 16), (512, 12))


def write_table_pdf(
    dest: Path,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    footer: Sequence[str],
) -> None:
    """``rows`` under ``header`` on as many pages as needed; ``footer`` lines after the table."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica,
            Encoding=pikepdf.Name.WinAnsiEncoding,
        )
    )
    bold = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name("/Helvetica-Bold"),
            Encoding=pikepdf.Name.WinAnsiEncoding,
        )
    )
    per_page = int((A4[1] - 2 * MARGIN - 3 * LEADING) // LEADING) - 1
    pages = [rows[i : i + per_page] for i in range(0, len(rows), per_page)] or [[]]
    for number, chunk in enumerate(pages, start=1):
        last = number == len(pages)
        ops = _page(title, header, chunk, footer if last else (), f"{number}/{len(pages)}")
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, *A4],
            Contents=pdf.make_stream(ops.encode("latin-1")),
            Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font, F2=bold)),
        )
        pdf.pages.append(pikepdf.Page(page))
    pdf.docinfo["/Title"] = title
    buf = io.BytesIO()
    pdf.save(buf)
    atomic_write_bytes(dest, buf.getvalue())


def _page(
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    footer: Sequence[str],
    page_label: str,
) -> str:
    top = A4[1] - MARGIN
    ops = [_text(MARGIN, top, title, "F2", 12), _text(A4[0] - MARGIN - 30, top, page_label)]
    y = top - 2 * LEADING
    ops.append(_row(y, header, "F2"))
    ops.append(f"0.5 w {MARGIN:.1f} {y - 4:.1f} m {A4[0] - MARGIN:.1f} {y - 4:.1f} l S")
    for row in rows:
        y -= LEADING
        ops.append(_row(y, row, "F1"))
    if footer:
        y -= 6
        ops.append(f"0.5 w {MARGIN:.1f} {y:.1f} m {A4[0] - MARGIN:.1f} {y:.1f} l S")
        for line in footer:
            y -= LEADING
            ops.append(_text(MARGIN, y, line, "F2"))
    return "\n".join(ops) + "\n"


def _row(y: float, cells: Sequence[str], font: str) -> str:
    return "\n".join(
        _text(MARGIN + x, y, _fit(cell, width), font)
        for (x, width), cell in zip(COLUMNS, cells, strict=False)
    )


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _text(x: float, y: float, text: str, font: str = "F1", size: float = SIZE) -> str:
    return f"BT /{font} {size} Tf {x:.1f} {y:.1f} Td ({_escape(text)}) Tj ET"


def _escape(text: str) -> str:
    safe = text.replace("…", "...").encode("cp1252", "replace").decode("latin-1", "replace")
    return safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

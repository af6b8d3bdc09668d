"""The day's ledger as a one-table PDF an operator can print or mail to the distributor.

Laid out by :mod:`meterai.printed`, the layout every PDF we print shares: columns as
wide as what they hold, a cell that cannot fit wraps inside its own column, the
headings again on every page.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from meterai.printed import PrintedPage


def write_table_pdf(
    dest: Path,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    footer: Sequence[str],
    *,
    whole: Collection[int] = (),
) -> None:
    """``rows`` under ``header`` on as many pages as needed; ``footer`` lines after the
    table. The columns numbered in ``whole`` never wrap (serial numbers, times, amounts)."""
    page = PrintedPage(title)
    page.print_table([header, *rows], whole=whole)
    for line in footer:
        page.paragraph(line, bold=True)
    page.save(dest)

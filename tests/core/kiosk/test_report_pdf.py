"""The day report's PDF as a renderer shows it: every column's text stays in its column.

Issue 18 item 10: the columns sat at fixed offsets sized by counting characters, and a
22-character serial number in capitals ran into the time column.
"""

from __future__ import annotations

from pathlib import Path

from meterai.intake import IntakeOptions, queue_file
from meterai.outbox import Outbox, State
from meterai.settings import Paths, resolve_paths
from tests.support.cli import run_in_process
from tests.support.pdfs import make_pdf
from tests.support.rendering import Word, needs_poppler, render, words

# Serial numbers as the provider issues them (22 of A-Z and 0-9), the widest letters first.
SERIALS = ("WWMMWWMMWWMMWWMMWWMMWW", "MWQ4T0P2M6A1C9D5E3F7BW", "ZX8Q4T0P2M6A1C9D5E3F7B")
HEADINGS = ("No", "Customer", "File", "Type", "Serial", "Time", "Cost")
LONG_NAME = "surat-pernyataan-kesediaan-ditempatkan-di-seluruh-wilayah-nkri-2026.pdf"


def done_requests(paths: Paths, tmp_path: Path) -> list[str]:
    """Three stamped requests of today, moved through every state of a real outbox."""
    box = Outbox.open(paths)
    names = []
    for n, sn in enumerate(SERIALS):
        name = LONG_NAME if n == 0 else f"kuitansi-{n}.pdf"
        pdf = make_pdf(tmp_path / name, pages=1)
        options = IntakeOptions(doc_type="3", customer="Budi Santoso Wijayakusuma")
        row = queue_file(box, paths, pdf, options).request
        box.transition(row.id, State.UPLOADED, provider_file_id=f"f{n}")
        box.transition(row.id, State.NUMBERING)
        box.transition(row.id, State.NUMBERED, sn=sn)
        for state in (State.STAMPED, State.DOWNLOADED, State.VERIFIED):
            box.transition(row.id, state)
        box.transition(row.id, State.DONE, output_path=str(tmp_path / f"out-{n}.pdf"))
        names.append(row.file_name)
    box.close()
    return names


def column_edges(page: list[Word]) -> list[float]:
    """Where each column starts: the left edge of its heading's first word."""
    first = {w.text: w for w in page if w.text in HEADINGS}
    return [first[h].x1 for h in HEADINGS]


def strays(
    page: list[Word], edges: list[float], rows: tuple[float, float]
) -> list[tuple[str, str]]:
    """Words of the table (between the ``rows`` heights) that reach into the next column,
    with the column they start in."""
    found = []
    for word in page:
        if not rows[0] - 0.5 <= word.y1 < rows[1]:
            continue
        column = max(i for i, edge in enumerate(edges) if edge <= word.x1 + 0.5)
        if column + 1 < len(edges) and word.x2 > edges[column + 1] - 0.5:
            found.append((word.text, HEADINGS[column]))
    return found


@needs_poppler
def test_no_column_of_the_day_report_runs_into_the_next(tmp_path: Path) -> None:
    paths = resolve_paths(tmp_path / "data")
    done_requests(paths, tmp_path)
    pdf = tmp_path / "day.pdf"
    code, _out, err = run_in_process(
        paths, "report", "--format", "pdf", "--offline", "--out", str(pdf)
    )
    assert code == 0, err
    [page] = words(pdf)
    edges = column_edges(page)
    assert edges == sorted(edges), edges
    table = (
        next(w.y1 for w in page if w.text == "Serial"),
        next(w.y1 for w in page if w.text == "Total:"),
    )
    assert strays(page, edges, table) == []
    # Each serial number and each time is a word of its own, whole, on the page.
    texts = [w.text for w in page]
    assert all(sn in texts for sn in SERIALS), texts
    assert sum(len(t) == 8 and t[2] == t[5] == ":" for t in texts) == len(SERIALS)
    assert render(pdf, tmp_path / "day"), "poppler rendered no page"


def test_the_overlap_check_sees_a_word_reaching_into_the_next_column() -> None:
    """The check itself: a serial number that runs past the time column's edge is caught."""
    edges = [10.0, 40.0, 90.0, 150.0, 200.0, 320.0, 370.0]
    page = [
        Word("Serial", 200, 100, 230, 108),
        Word("WWMMWWMMWWMMWWMMWWMMWW", 200, 120, 330, 128),
        Word("12:00:01", 320, 120, 352, 128),
    ]
    assert strays(page, edges, (100, 200)) == [("WWMMWWMMWWMMWWMMWWMMWW", "Serial")]

"""``meterai report`` after a kiosk run, ``add --batch`` checked whole, the low-balance rule."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest

from meterai.balance import low_balance
from meterai.cli.context import CliContext
from meterai.cli.main import run
from meterai.outbox import Outbox
from meterai.settings import Paths, Settings
from tests.support.kiosk import Running, pdf_bytes, slow_write
from tests.support.pdfs import make_garbage, make_pdf
from tests.support.sandbox import Admin


def _cli(paths: Paths, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(
        ["--lang", "en", "--data-dir", str(paths.data_dir), *args],
        lambda _d: CliContext(paths=paths, out=out, err=err),
    )
    return code, out.getvalue(), err.getvalue()


def test_the_report_lists_each_stamp_with_customer_cost_and_balance(
    running_kiosk: Callable[..., Running], admin: Admin, tmp_path: Path
) -> None:
    kiosk = running_kiosk()
    for i, customer in enumerate(("budi", "budi", "siti")):
        slow_write(kiosk.inbox / customer / f"r-{i}.pdf", pdf_bytes(tmp_path, f"r-{i}"))
    rows = kiosk.wait_done(3)
    kiosk.shut_down()  # the report asks the provider itself once the sync lock is free

    code, out, err = _cli(kiosk.paths, "report")
    assert code == 0, err
    table = list(csv.reader(io.StringIO(out)))
    assert table[0] == ["customer", "file", "doc_type", "sn", "time", "cost"]
    body = table[1:4]
    assert sorted((r[0], r[1], r[3]) for r in body) == sorted(
        (r.customer, r.file_name, r.sn) for r in rows
    )
    assert all(r[5] == "10000" for r in body)
    assert table[4][:2] == ["TOTAL", "3"] and table[4][5] == "30000"
    assert table[5][0] == "BALANCE" and table[5][1] == str(admin.account()["balance"])

    pdf_path = tmp_path / "day.pdf"
    code, out, err = _cli(kiosk.paths, "report", "--format", "pdf", "--out", str(pdf_path))
    assert code == 0, err
    with pikepdf.open(pdf_path) as pdf:
        text = pdf.pages[0].Contents.read_bytes().decode("latin-1")
    assert "Rp30.000" in text and all(r.sn in text for r in rows)


def test_the_report_offline_says_the_balance_is_unknown(tmp_path: Path, kiosk_paths: Paths) -> None:
    code, out, err = _cli(kiosk_paths, "report", "--offline", "--day", "2026-01-02")
    assert code == 0
    assert out.splitlines()[-1] == "BALANCE,unknown,,,,"
    assert "balance is unknown" in err


def test_a_batch_with_one_bad_line_queues_nothing_and_names_the_lines(
    tmp_path: Path, kiosk_paths: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    make_pdf(tmp_path / "a.pdf")
    make_pdf(tmp_path / "b.pdf", pages=2)
    make_garbage(tmp_path / "c.pdf")
    batch = tmp_path / "batch.csv"
    batch.write_text(
        "file,type,page,rect,nodoc,tgldoc\n"
        "a.pdf,3,last,,A-1,2026-11-24\n"
        "b.pdf,99,1,,B-1,\n"
        "c.pdf,3,,,C-1,\n"
        "b.pdf,2,2,900,40,980,120,,\n"
    )
    code, _out, _err = _cli(kiosk_paths, "add", "--batch", str(batch))
    assert code == 3
    err = capsys.readouterr().err  # errors leave through main's boundary, on stderr
    assert "line 3:" in err and "“99”" in err
    assert "line 4:" in err
    assert "line 5:" in err
    box = Outbox.open(kiosk_paths)
    assert box.count() == 0
    box.close()

    batch.write_text(
        'file,type,page,rect,nodoc\na.pdf,3,last,,A-1\nb.pdf,2,2,"400,40,480,120",B-2\n'
    )
    code, _out, err = _cli(kiosk_paths, "add", "--batch", str(batch))
    assert code == 0, err
    box = Outbox.open(kiosk_paths)
    rows = box.requests()
    box.close()
    assert [(r.file_name, r.doc_type, r.page_index, r.nodoc) for r in rows] == [
        ("a.pdf", "3", 0, "A-1"),
        ("b.pdf", "2", 1, "B-2"),
    ]


@pytest.mark.parametrize(
    ("extra", "balance", "warned"),
    [({}, 20, True), ({}, 21, False), ({"low_balance": 100}, 99, True), ({}, None, False)],
)
def test_the_low_balance_rule(extra: dict[str, int], balance: int | None, warned: bool) -> None:
    warning = low_balance(balance, Settings(extra=dict(extra)))
    assert (warning is not None) is warned
    if warning is not None:
        assert "Saldo menipis" in warning.message().text("id")
        assert "Low balance" in warning.message().english()

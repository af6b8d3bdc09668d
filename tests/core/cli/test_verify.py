"""``meterai verify`` as a script runs it: exit codes, every check by id, both languages.

Each call is a real process (``meterai()`` asserts no traceback reached stderr) on a
file the sandbox stamped over HTTPS.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from meterai.sandbox import SandboxServer, tamper
from tests.support import damage
from tests.support.api_client import DEFAULT_BOX, ApiClient
from tests.support.cli import EXIT_FAILED, EXIT_OK, EXIT_REJECTED, EXIT_USAGE, meterai
from tests.support.pdfs import make_pdf

RECT = ",".join(f"{v:g}" for v in DEFAULT_BOX)


@dataclass(frozen=True)
class Stamped:
    path: Path
    original: Path
    ca: Path
    sn: str


@pytest.fixture(scope="module")
def stamped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stamped]:
    folder = tmp_path_factory.mktemp("verify-cli")
    original = make_pdf(folder / "two.pdf", pages=2)
    with SandboxServer(folder / "sandbox") as server:
        api = ApiClient(server, timeout=60)
        api.login()
        sn, data = api.full_stamp(original, page=2)
        api.close()
        ca = folder / "ca.pem"
        ca.write_bytes(server.ca_file.read_bytes())
    path = folder / "two-emeterai.pdf"
    path.write_bytes(data)
    yield Stamped(path, original, ca, sn)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def verify(
    s: Stamped, home: Path, *args: str | Path, file: Path | None = None
) -> dict[str, object]:
    """``verify --json``; returns the report with the exit code under ``code``."""
    result = meterai(
        "--data-dir", home / "data", "--lang", "en", "verify", file or s.path,
        "--ca", s.ca, "--json", *args, home=home,
    )  # fmt: skip
    report: dict[str, object] = json.loads(result.out)
    report["code"] = result.code
    return report


def failed(report: dict[str, object]) -> list[str]:
    checks = report["checks"]
    assert isinstance(checks, list)
    return [c["name"] for c in checks if not c["passed"]]


def test_a_clean_stamp_passes_all_four_points(stamped: Stamped, home: Path) -> None:
    report = verify(
        stamped, home, "--original", stamped.original, "--page", "2", "--rect", RECT,
        "--sn", stamped.sn,
    )  # fmt: skip
    assert report["code"] == EXIT_OK
    assert report["ok"] is True
    checks = report["checks"]
    assert isinstance(checks, list)
    assert [c["name"] for c in checks] == [
        "prefix", "one_signature", "intact", "trusted", "unchanged", "trailing",
        "serial", "page", "rect",
    ]  # fmt: skip
    assert all(c["passed"] and c["message"] for c in checks)


@pytest.mark.parametrize(
    ("option", "value", "check"),
    [
        ("--page", "1", "page"),
        ("--rect", "300,60,400,160", "rect"),
        ("--sn", "AAAAAAAAAAAAAAAAAAAAAA", "serial"),
    ],
)
def test_each_point_fails_alone_when_it_is_wrong(
    option: str, value: str, check: str, stamped: Stamped, home: Path
) -> None:
    report = verify(stamped, home, option, value)
    assert report["code"] == EXIT_FAILED
    assert failed(report) == [check]


def test_a_report_redirected_in_a_windows_code_page_is_written_whole(
    stamped: Stamped, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``meterai verify x.pdf > report.txt`` on Windows writes cp1252, which has no ✓:
    the report died with UnicodeEncodeError after the work was done."""
    monkeypatch.setenv("PYTHONIOENCODING", "cp1252")
    result = meterai(
        "--data-dir", home / "data", "--lang", "en", "verify", stamped.path,
        "--ca", stamped.ca, home=home,
    )  # fmt: skip
    assert result.code == EXIT_OK, result.err
    assert result.out.count("? ") >= 6  # one per check, the ticks replaced


def test_a_changed_original_fails_the_prefix(stamped: Stamped, home: Path, tmp_path: Path) -> None:
    other = make_pdf(tmp_path / "other.pdf", pages=2, size=(600, 842))
    report = verify(stamped, home, "--original", other)
    assert report["code"] == EXIT_FAILED
    assert "prefix" in failed(report)


def test_an_appended_revision_exits_1_and_says_what_was_added(
    stamped: Stamped, home: Path, tmp_path: Path
) -> None:
    edited = tmp_path / "edited.pdf"
    edited.write_bytes(tamper.append_content(stamped.path.read_bytes()))
    report = verify(stamped, home, "--original", stamped.original, file=edited)
    assert report["code"] == EXIT_FAILED
    (check,) = [c for c in report["checks"] if c["name"] == "unchanged"]  # type: ignore[attr-defined]
    assert check["added"] == ["content"]
    assert check["message"] == "Something was added after the stamp: content added to page 1."


@pytest.mark.parametrize(
    "spoil",
    [lambda d: damage.flip_contents_digit(d, 100), lambda d: damage.change_byte_range(d, 1)],
    ids=["contents-digit", "byte-range-digit"],
)
def test_a_damaged_signature_says_damaged_in_both_languages(
    spoil: object, stamped: Stamped, home: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(spoil(stamped.path.read_bytes()))  # type: ignore[operator]
    english = meterai("--lang", "en", "verify", broken, "--ca", stamped.ca, home=home)
    assert english.code == EXIT_FAILED
    assert "The signature is damaged" in english.out
    indonesian = meterai("verify", broken, "--ca", stamped.ca, home=home)
    assert indonesian.code == EXIT_FAILED
    assert "Tanda tangan rusak" in indonesian.out


def test_junk_after_the_end_is_named(stamped: Stamped, home: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(tamper.append_junk(stamped.path.read_bytes()))
    report = verify(stamped, home, file=junk)
    assert report["code"] == EXIT_FAILED
    assert failed(report) == ["trailing"]


def test_a_file_no_reader_can_open_exits_3(stamped: Stamped, home: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(stamped.path.read_bytes()[:-40])
    result = meterai("--lang", "en", "verify", cut, "--ca", stamped.ca, home=home)
    assert result.code == EXIT_REJECTED
    assert "could not be checked" in result.err
    missing = meterai(
        "--lang", "en", "verify", tmp_path / "nothing.pdf", "--ca", stamped.ca, home=home
    )
    assert missing.code == EXIT_REJECTED


def test_a_named_pipe_is_refused_at_once_with_exit_3(
    stamped: Stamped, home: Path, tmp_path: Path
) -> None:
    """Before: ``meterai verify fifo.pdf`` blocked in its first read until the helper's
    timeout; ``add`` and the kiosk already refused such a file."""
    fifo = tmp_path / "fifo.pdf"
    os.mkfifo(fifo)
    result = meterai("--lang", "en", "verify", fifo, "--ca", stamped.ca, home=home)
    assert result.code == EXIT_REJECTED
    assert "fifo.pdf is a named pipe (FIFO)" in result.err


@pytest.mark.parametrize(
    "args", [("--page", "0"), ("--page", "x"), ("--rect", "1,2,3"), ("--rect", "a,b,c,d")]
)
def test_a_malformed_point_is_a_usage_error(
    args: tuple[str, str], stamped: Stamped, home: Path
) -> None:
    result = meterai("--lang", "en", "verify", stamped.path, "--ca", stamped.ca, *args, home=home)
    assert result.code == EXIT_USAGE
    assert args[0] in result.err


@pytest.mark.parametrize("change", [tamper.append_content, tamper.append_junk])
def test_pdfsig_agrees_the_signature_no_longer_covers_the_file(
    change: object, stamped: Stamped, tmp_path: Path
) -> None:
    """An independent reader (poppler) sees what we see in an edited or padded file."""
    pdfsig = shutil.which("pdfsig")
    if pdfsig is None:
        pytest.skip("poppler's pdfsig is not installed")
    edited = tmp_path / "edited.pdf"
    edited.write_bytes(change(stamped.path.read_bytes()))  # type: ignore[operator]
    clean = subprocess.run([pdfsig, stamped.path], capture_output=True, text=True, check=False)
    assert "- Total document signed" in clean.stdout
    changed = subprocess.run([pdfsig, edited], capture_output=True, text=True, check=False)
    assert "- Not total document signed" in changed.stdout


# --- issue 18 item 3: the same report as the GUI's checker, on any PDF ---------------


def test_any_pdf_gets_a_verdict_by_id_and_in_both_languages(
    stamped: Stamped, home: Path, tmp_path: Path
) -> None:
    from tests.support.stamps import picture_of_a_stamp

    picture = picture_of_a_stamp(tmp_path / "picture.pdf", stamped.sn)
    plain = make_pdf(tmp_path / "plain.pdf")
    verdicts = {
        name: (report["verdict"], report["code"])
        for name, report in (
            ("stamped", verify(stamped, home)),
            ("picture", verify(stamped, home, file=picture)),
            ("plain", verify(stamped, home, file=plain)),
        )
    }
    assert verify(stamped, home)["area"] == "bottom-right"
    assert verdicts == {
        "stamped": ("valid", EXIT_OK),
        "picture": ("picture_only", EXIT_FAILED),
        "plain": ("unstamped", EXIT_FAILED),
    }
    indonesian = meterai("verify", picture, "--ca", stamped.ca, home=home)
    assert indonesian.code == EXIT_FAILED
    assert indonesian.out.splitlines()[0] == (
        "Tidak ada e-Meterai: berkas ini menampilkan gambar e-Meterai, tetapi tidak memuat "
        "tanda tangan e-Meterai."
    )


def test_the_text_report_names_serial_time_and_place(stamped: Stamped, home: Path) -> None:
    result = meterai("--lang", "en", "verify", stamped.path, "--ca", stamped.ca, home=home)
    assert result.code == EXIT_OK
    lines = result.out.splitlines()
    assert lines[0] == f"A valid e-Meterai, serial number {stamped.sn}."
    assert f"Serial number: {stamped.sn}" in lines
    assert "Where: page 2, bottom right" in lines
    assert any(line.startswith("Signed at: 20") for line in lines)

"""Local verification of a stamped PDF, against real stamps from the sandbox over HTTPS."""

from __future__ import annotations

import asyncio
import gc
import io
import random
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from meterai import verify
from meterai.errors import VerificationError
from meterai.sandbox import SandboxServer, tamper
from meterai.verify import Expectation, load_trust_roots, verify_stamped
from tests.support import damage
from tests.support.api_client import DEFAULT_BOX, ApiClient
from tests.support.pdfs import make_pdf

# A nine-page document's pages in a nested page tree: nodes inside nodes, and nodes on
# both sides of a page, so counting from either end is exercised.
NESTED = [[0, 1], [2, [3, 4]], 5, [6, 7, 8]]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with SandboxServer(tmp_path_factory.mktemp("sandbox")) as server:
        yield server


@pytest.fixture(scope="module")
def api(sandbox: SandboxServer) -> Iterator[ApiClient]:
    client = ApiClient(sandbox, timeout=60)
    client.login()
    yield client
    client.close()


def _stamp(api: ApiClient, original: Path, page: int, out: Path) -> tuple[Path, Expectation]:
    sn, data = api.full_stamp(original, page=page)
    out.write_bytes(data)
    return out, Expectation(original, page_index=page - 1, rect=DEFAULT_BOX, serial_number=sn)


def _roots(sandbox: SandboxServer) -> list[Any]:
    return load_trust_roots([sandbox.ca_file])


def _nested(path: Path) -> Path:
    """A PDF whose page tree has nodes inside nodes (as merged scans often have)."""
    flat = make_pdf(path.with_name("flat.pdf"), pages=9)
    with pikepdf.open(flat) as pdf:
        leaves = list(pdf.Root.Pages.Kids)

        def build(shape: list[Any], parent: Any) -> tuple[pikepdf.Array, int]:
            kids, count = pikepdf.Array(), 0
            for part in shape:
                if isinstance(part, int):
                    leaves[part].Parent = parent
                    kids.append(leaves[part])
                    count += 1
                else:
                    node = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Pages))
                    node.Parent = parent
                    node.Kids, node.Count = build(part, node)
                    kids.append(node)
                    count += int(node.Count)
            return kids, count

        root = pdf.Root.Pages
        root.Kids, root.Count = build(NESTED, root)
        pdf.save(path)
    return path


@pytest.mark.parametrize("page", [1, 5, 10])
def test_a_stamp_passes_every_check_on_the_page_it_was_put(
    page: int, api: ApiClient, sandbox: SandboxServer, tmp_path: Path
) -> None:
    original = make_pdf(tmp_path / "ten.pdf", pages=10)
    stamped, expect = _stamp(api, original, page, tmp_path / "stamped.pdf")
    report = verify_stamped(stamped, _roots(sandbox), expect)
    assert report.ok, report.summary()
    assert report.page_index == page - 1
    assert report.rect == pytest.approx(DEFAULT_BOX, abs=verify.RECT_TOLERANCE_PT)
    assert report.serial_number == expect.serial_number
    assert [c.name for c in report.checks] == [
        "prefix",
        "one_signature",
        "intact",
        "trusted",
        "unchanged",
        "trailing",
        "serial",
        "page",
        "rect",
    ]


@pytest.mark.parametrize("page", range(1, 10))
def test_the_page_is_counted_right_in_a_nested_page_tree(
    page: int, api: ApiClient, sandbox: SandboxServer, tmp_path: Path
) -> None:
    original = _nested(tmp_path / "nested.pdf")
    stamped, expect = _stamp(api, original, page, tmp_path / "stamped.pdf")
    report = verify_stamped(stamped, _roots(sandbox), expect)
    assert report.ok, report.summary()
    assert report.page_index == page - 1
    reader = PdfFileReader(io.BytesIO(stamped.read_bytes()))
    (sig,) = reader.embedded_signatures
    assert verify._widget_by_walking(reader, sig) == (report.page_index, report.rect)


def test_a_widget_without_its_page_is_found_by_walking_the_pages(
    api: ApiClient, tmp_path: Path
) -> None:
    original = make_pdf(tmp_path / "ten.pdf", pages=10)
    stamped, _expect = _stamp(api, original, 7, tmp_path / "stamped.pdf")
    reader = PdfFileReader(io.BytesIO(stamped.read_bytes()))
    (sig,) = reader.embedded_signatures
    del sig.sig_field["/P"]
    page_index, rect = verify._widget_of(reader, sig)
    assert page_index == 6
    assert rect == pytest.approx(DEFAULT_BOX, abs=verify.RECT_TOLERANCE_PT)


def test_each_thread_checks_on_one_event_loop_closed_when_the_thread_ends(
    api: ApiClient, sandbox: SandboxServer, tmp_path: Path
) -> None:
    """pyHanko's validation runs on a loop its thread keeps (``asyncio.run`` built one per
    stamp); a sync run's step pools start and end threads, and an ended thread's loop (an
    epoll and a socket pair) must be closed, not leaked."""
    original = make_pdf(tmp_path / "one.pdf", pages=1)
    stamped, expect = _stamp(api, original, 1, tmp_path / "stamped.pdf")
    roots = _roots(sandbox)
    verdicts: list[bool] = []
    loops: list[list[asyncio.AbstractEventLoop]] = []

    def check_twice() -> None:
        seen = []
        for _ in range(2):
            verdicts.append(verify_stamped(stamped, roots, expect).ok)
            seen.append(verify._THREAD_LOOP.kept.runner.get_loop())
        loops.append(seen)

    for _ in range(3):
        thread = threading.Thread(target=check_twice)
        thread.start()
        thread.join()
    gc.collect()
    assert verdicts == [True] * 6
    assert [len({id(loop) for loop in seen}) for seen in loops] == [1, 1, 1]
    assert all(seen[0].is_closed() for seen in loops)


def test_a_stamp_elsewhere_than_asked_fails_its_place_checks(
    api: ApiClient, sandbox: SandboxServer, tmp_path: Path
) -> None:
    original = make_pdf(tmp_path / "ten.pdf", pages=10)
    stamped, expect = _stamp(api, original, 10, tmp_path / "stamped.pdf")
    x1, y1, x2, y2 = DEFAULT_BOX
    wrong = replace(expect, page_index=8, rect=(x1 + 20, y1, x2 + 20, y2))
    report = verify_stamped(stamped, _roots(sandbox), wrong)
    assert not report.ok
    assert {c.name for c in report.failures} == {"page", "rect"}


def test_another_serial_number_or_a_changed_original_fails(
    api: ApiClient, sandbox: SandboxServer, tmp_path: Path
) -> None:
    original = make_pdf(tmp_path / "ten.pdf", pages=10)
    stamped, expect = _stamp(api, original, 10, tmp_path / "stamped.pdf")
    other = make_pdf(tmp_path / "other.pdf", pages=10, size=(600, 842))
    report = verify_stamped(
        stamped, _roots(sandbox), replace(expect, original=other, serial_number="NOT-THIS-ONE")
    )
    assert {c.name for c in report.failures} >= {"prefix", "serial"}


def test_a_stamp_from_another_authority_is_not_trusted(
    api: ApiClient, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    original = make_pdf(tmp_path / "one.pdf")
    stamped, expect = _stamp(api, original, 1, tmp_path / "stamped.pdf")
    with SandboxServer(tmp_path_factory.mktemp("other-ca")) as stranger:
        report = verify_stamped(stamped, _roots(stranger), expect)
    assert [c.name for c in report.failures] == ["trusted"]


def test_a_widget_on_a_page_outside_the_page_tree_is_on_no_page() -> None:
    """Found in review: the hint counted such a page as page 1, so an invisible stamp
    could pass the page check."""
    pdf = pikepdf.new()
    for _ in range(3):
        pdf.pages.append(pikepdf.Page(pikepdf.Dictionary(Type=pikepdf.Name.Page)))
    stray = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=[0, 0, 595, 842]))
    widget = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Widget,
            FT=pikepdf.Name.Sig,
            T=pikepdf.String("Meterai"),
            Rect=[420, 60, 520, 160],
            P=stray,
        )
    )
    stray.Annots = pikepdf.Array([widget])
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([widget]))
    data = io.BytesIO()
    pdf.save(data)
    reader = PdfFileReader(io.BytesIO(data.getvalue()))

    class Field:
        sig_field = reader.root["/AcroForm"]["/Fields"][0].get_object()
        field_name = "Meterai"

    assert verify._widget_of(reader, Field()) == (None, None)


# --- issue 13: nothing after the stamp, damage is a verdict, the /Annots bug -------------


@pytest.fixture(scope="module")
def stamped_plain(api: ApiClient, tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, Path]:
    """A two-page document stamped on page 1: its page has no /Annots before the stamp."""
    folder = tmp_path_factory.mktemp("plain")
    original = make_pdf(folder / "two.pdf", pages=2)
    return api.full_stamp(original, page=1)[1], original


@pytest.fixture(scope="module")
def stamped_form(api: ApiClient, tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, Path]:
    """A document with a text field, its page's /Annots an indirect object, stamped on 1."""
    folder = tmp_path_factory.mktemp("form")
    original = damage.with_indirect_annots(folder / "form.pdf", text_field=True)
    return api.full_stamp(original, page=1)[1], original


def _check(
    data: bytes, original: Path, sandbox: SandboxServer, tmp_path: Path
) -> verify.VerificationReport:
    path = tmp_path / "result.pdf"
    path.write_bytes(data)
    return verify_stamped(path, _roots(sandbox), Expectation(original=original))


def test_a_page_whose_annots_array_is_an_indirect_object_verifies(
    api: ApiClient, sandbox: SandboxServer, tmp_path: Path
) -> None:
    """Issue 13 item 4: ``page.get("/Annots")`` handed back the reference and iterating it
    raised TypeError while verifying, which wedged the sync queue."""
    original = damage.with_indirect_annots(tmp_path / "annots.pdf")
    stamped, expect = _stamp(api, original, 1, tmp_path / "stamped.pdf")
    report = verify_stamped(stamped, _roots(sandbox), expect)
    assert report.ok, report.summary()
    assert report.page_index == 0
    assert report.rect == pytest.approx(DEFAULT_BOX, abs=verify.RECT_TOLERANCE_PT)


@pytest.mark.parametrize(
    ("fixture", "change", "kinds"),
    [
        ("stamped_plain", tamper.append_content, ["content"]),
        ("stamped_form", tamper.append_content, ["content"]),
        ("stamped_plain", tamper.append_annotation, ["annotation"]),
        ("stamped_form", tamper.append_annotation, ["annotation"]),
        ("stamped_form", tamper.change_text_field, ["form_field"]),
    ],
    ids=["content", "content-form", "annotation", "annotation-indirect", "form-field"],
)
def test_a_revision_appended_after_the_stamp_fails_and_names_what_it_added(
    fixture: str,
    change: Any,
    kinds: list[str],
    request: pytest.FixtureRequest,
    sandbox: SandboxServer,
    tmp_path: Path,
) -> None:
    """Issue 13 item 1: such a file verified as valid, exit 0, even with --original."""
    data, original = request.getfixturevalue(fixture)
    assert _check(data, original, sandbox, tmp_path).ok
    report = _check(change(data), original, sandbox, tmp_path)
    assert [c.name for c in report.failures] == ["unchanged"]
    (failed,) = report.failures
    assert list(failed.kinds) == kinds
    assert {"prefix", "intact", "trusted", "serial"} <= {c.name for c in report.checks}


def test_the_form_field_that_changed_is_named(
    stamped_form: tuple[bytes, Path], sandbox: SandboxServer, tmp_path: Path
) -> None:
    data, original = stamped_form
    report = _check(tamper.change_text_field(data), original, sandbox, tmp_path)
    (failed,) = report.failures
    assert (
        failed.message.english() == "Something was added after the stamp: form field Name changed."
    )


def test_validation_data_appended_after_the_stamp_is_allowed(
    stamped_plain: tuple[bytes, Path], sandbox: SandboxServer, tmp_path: Path
) -> None:
    """A document security store (what a provider adds for long-term validation) is the
    one later revision accepted: pyHanko classifies it as LTA_UPDATES."""
    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    data, original = stamped_plain
    _kind, _headers, der = pem.unarmor(sandbox.ca_file.read_bytes())
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    DocumentSecurityStore.supply_dss_in_writer(writer, None, certs=[x509.Certificate.load(der)])
    out = io.BytesIO()
    writer.write(out)
    assert len(out.getvalue()) > len(data)
    report = _check(out.getvalue(), original, sandbox, tmp_path)
    assert report.ok, report.summary()


DAMAGE = {
    "contents-digit-0": lambda d: damage.flip_contents_digit(d, 0),
    "contents-digit-2": lambda d: damage.flip_contents_digit(d, 2),
    "contents-digit-30": lambda d: damage.flip_contents_digit(d, 30),
    "contents-digit-100": lambda d: damage.flip_contents_digit(d, 100),
    "byte-range-0": lambda d: damage.change_byte_range(d, 0),
    "byte-range-1": lambda d: damage.change_byte_range(d, 1),
    "byte-range-2": lambda d: damage.change_byte_range(d, 2),
    "byte-range-3": lambda d: damage.change_byte_range(d, 3),
    "byte-range-odd": damage.odd_byte_range,
    "last-byte-cut": lambda d: d[:-1],
}


@pytest.mark.parametrize("name", DAMAGE)
def test_a_damaged_signature_is_a_verdict_not_an_exception(
    name: str, stamped_plain: tuple[bytes, Path], sandbox: SandboxServer, tmp_path: Path
) -> None:
    """Issue 13 item 2: a flipped /Contents digit raised AttributeError, an odd
    /ByteRange ValueError, both as tracebacks."""
    data, original = stamped_plain
    report = _check(DAMAGE[name](data), original, sandbox, tmp_path)
    assert [c.name for c in report.failures] == ["intact"]
    assert report.failures[0].template == "The signature is damaged: {detail}"


def test_a_file_cut_before_its_end_cannot_be_read(
    stamped_plain: tuple[bytes, Path], sandbox: SandboxServer, tmp_path: Path
) -> None:
    """No reader opens it: the engine fetches it again rather than parking a paid stamp."""
    data, original = stamped_plain
    with pytest.raises(VerificationError):
        _check(data[:-40], original, sandbox, tmp_path)


def test_bytes_after_the_last_eof_are_named(
    stamped_plain: tuple[bytes, Path], sandbox: SandboxServer, tmp_path: Path
) -> None:
    """Issue 13 item 2: pyHanko and the old check called such a file valid."""
    data, original = stamped_plain
    report = _check(tamper.append_junk(data), original, sandbox, tmp_path)
    assert [c.name for c in report.failures] == ["trailing"]
    assert report.failures[0].params == {"count": len(tamper.JUNK)}
    assert _check(data, original, sandbox, tmp_path).ok


def test_one_byte_changed_anywhere_after_the_original_is_a_verdict(
    stamped_form: tuple[bytes, Path], sandbox: SandboxServer, tmp_path: Path
) -> None:
    """Seeded mutations of the stamp's revision: each is a report or "cannot be read",
    never another exception, and valid only where the signature's own padding is (the
    zeros after its DER inside /Contents, which no signature can cover)."""
    data, original = stamped_form
    queued = len(original.read_bytes())
    start, length, gap_end = (int(v) for v in damage.byte_range(data)[:3])
    gap = range(start + length, gap_end)
    rng = random.Random(13)
    outcomes: set[str] = set()
    for _ in range(150):
        at = rng.randrange(queued, len(data))
        byte = rng.choice(b"0123456789 /<>[]()AaZz\n%R")
        mutated = data[:at] + bytes([byte]) + data[at + 1 :]
        try:
            report = _check(mutated, original, sandbox, tmp_path)
        except VerificationError:
            outcomes.add("unreadable")
            continue
        outcomes.add("valid" if report.ok else "invalid")
        assert not report.ok or at in gap or mutated == data, (at, report.summary())
    assert {"invalid", "unreadable"} <= outcomes

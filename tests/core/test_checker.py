"""The stamp checker (issue 18 item 3) on the four files a receiver meets, made for real."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers

from meterai.checker import NoTrustRoot, StampCheck, Verdict, check_pdf, checking_roots
from meterai.settings import Paths, Profile
from meterai.verify import load_trust_roots
from tests.support import signing
from tests.support.pdfs import make_pdf, make_signed
from tests.support.stamps import Received, received_files


@pytest.fixture(scope="module")
def received(tmp_path_factory: pytest.TempPathFactory) -> Received:
    return received_files(tmp_path_factory.mktemp("received"))


def _check(path: Path, received: Received) -> StampCheck:
    return check_pdf(path, load_trust_roots([received.ca]))


def test_a_stamped_file_is_valid_with_its_serial_time_and_place(received: Received) -> None:
    result = _check(received.stamped, received)
    assert result.verdict is Verdict.VALID
    assert result.headline().text("en") == f"A valid e-Meterai, serial number {received.sn}."
    assert result.report.serial_number == received.sn
    signed_at = result.report.signed_at
    assert signed_at is not None
    assert abs(dt.datetime.now(dt.UTC) - signed_at) < dt.timedelta(minutes=10)
    facts = {fact.name: fact.value_text("en") for fact in result.facts()}
    assert facts["serial"] == received.sn
    assert facts["where"] == "page 2, bottom right"
    assert facts["signed_at"].startswith(signed_at.astimezone().strftime("%Y-%m-%d %H:%M"))
    assert "Sandbox e-Meterai Signer" in facts["signer"]
    assert result.pictures == ()


def test_a_revision_after_the_stamp_is_not_valid_and_says_what_was_added(
    received: Received,
) -> None:
    result = _check(received.revised, received)
    assert result.verdict is Verdict.NOT_VALID
    assert [c.name for c in result.report.failures] == ["unchanged"]
    (failed,) = result.report.failures
    assert failed.message.text("en") == (
        "Something was added after the stamp: content added to page 1."
    )
    assert result.report.serial_number == received.sn  # what the stamp was is still said


def test_a_picture_of_a_stamp_without_its_signature_says_so(received: Received) -> None:
    result = _check(received.picture, received)
    assert result.verdict is Verdict.PICTURE_ONLY
    assert [(p.page_index, p.serial_number) for p in result.pictures] == [(0, received.sn)]
    assert [c.name for c in result.checks] == ["emeterai", "picture"]
    assert result.checks[1].message.text("en") == (
        f"Page 1 shows a picture of an e-Meterai (serial number {received.sn} in its QR "
        "code), but no signature stands behind it: the picture alone proves nothing."
    )
    assert result.facts() == ()


def test_an_unstamped_file_says_it_is_not_stamped(received: Received) -> None:
    result = _check(received.unstamped, received)
    assert result.verdict is Verdict.UNSTAMPED
    assert result.headline().text("en") == "No e-Meterai: this file is not stamped."
    assert [c.message.text("en") for c in result.checks] == [
        "The file carries no e-Meterai signature."
    ]


def test_another_digital_signature_is_not_taken_for_a_stamp(
    received: Received, tmp_path: Path
) -> None:
    result = _check(make_signed(tmp_path / "signed.pdf"), received)
    assert result.verdict is Verdict.UNSTAMPED
    assert result.checks[0].message.text("en") == (
        "The file carries 1 digital signature(s), but no e-Meterai."
    )


def test_a_signature_added_after_the_stamp_does_not_hide_it(
    received: Received, tmp_path: Path
) -> None:
    """A receiver's file may carry more signatures than the stamp: the stamp is found by
    its serial number, and a later signature is a change after it."""
    writer = IncrementalPdfFileWriter(io.BytesIO(received.stamped.read_bytes()))
    out = io.BytesIO()
    meta = signers.PdfSignatureMetadata(field_name="Reviewer")
    signers.sign_pdf(writer, meta, signer=signing.test_signer(), output=out)
    countersigned = tmp_path / "countersigned.pdf"
    countersigned.write_bytes(out.getvalue())
    result = _check(countersigned, received)
    assert result.report.serial_number == received.sn
    assert result.verdict is Verdict.NOT_VALID
    assert [c.name for c in result.report.failures] == ["unchanged"]


def test_a_document_signed_digitally_first_then_stamped_is_valid(
    received: Received, tmp_path: Path
) -> None:
    """Before: ``meterai verify`` without --original wanted exactly one signature and
    called the applicant's signed-then-stamped document not valid ("found 2")."""
    from meterai.sandbox import SandboxServer
    from tests.support.api_client import ApiClient

    signed = make_signed(tmp_path / "signed.pdf")
    with SandboxServer(tmp_path / "sandbox") as server:
        api = ApiClient(server, timeout=60)
        api.login()
        sn, data = api.full_stamp(signed, page=1)
        api.close()
        roots = load_trust_roots([server.ca_file])
    stamped = tmp_path / "signed-emeterai.pdf"
    stamped.write_bytes(data)
    result = check_pdf(stamped, roots)
    assert result.verdict is Verdict.VALID, result.report.summary()
    assert result.report.serial_number == sn


def test_the_area_is_named_as_the_page_is_shown_on_a_rotated_page(
    received: Received, tmp_path: Path
) -> None:
    """Stamped at user-space bottom right of a /Rotate 90 page, which a viewer shows at
    the bottom left (the page turned clockwise)."""
    from meterai.sandbox import SandboxServer
    from tests.support.api_client import ApiClient

    original = make_pdf(tmp_path / "turned.pdf", rotate=90)
    with SandboxServer(tmp_path / "sandbox") as server:
        api = ApiClient(server, timeout=60)
        api.login()
        _sn, data = api.full_stamp(original, page=1)
        api.close()
        roots = load_trust_roots([server.ca_file])
    stamped = tmp_path / "turned-emeterai.pdf"
    stamped.write_bytes(data)
    result = check_pdf(stamped, roots)
    assert result.verdict is Verdict.VALID
    assert result.area == "bottom left"


def test_the_roots_are_the_profiles_or_refused_in_words(tmp_path: Path) -> None:
    paths = Paths(tmp_path / "data", tmp_path / "config")
    real = Profile(name="peruri", kind="peruri")
    with pytest.raises(NoTrustRoot) as caught:
        checking_roots(paths, real)
    assert "give --ca FILE" in caught.value.message().text("en")
    ca = tmp_path / "ca.pem"
    ca.write_text("not checked here: load_trust_roots reads it")
    assert checking_roots(paths, real, str(ca)) == [ca]
    assert checking_roots(paths, Profile("bank", "peruri", sign_ca_files=(str(ca),))) == [ca]
    with pytest.raises(NoTrustRoot):  # the built-in sandbox never started: no CA yet
        checking_roots(paths, Profile("sandbox", "sandbox"))

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from meterai import i18n
from meterai.documents import Code, Fix, PreflightReport, Severity, preflight
from meterai.documents.targets import TARGETS
from meterai.overlap import CODES as OVERLAP_CODES
from tests.support import pdfs, signing

LETTER = (612.0, 792.0)


def only(report: PreflightReport, code: Code) -> None:
    assert report.codes == (code,), [f.message.text("en") for f in report.findings]


def test_plain_a4_passes_every_target(tmp_path: Path) -> None:
    path = pdfs.make_pdf(tmp_path / "plain.pdf", pages=2)
    for target in TARGETS:
        report = preflight(path, target)
        assert report.findings == ()
        assert report.ok
        assert (report.pdf_version, report.page_count) == ("1.7", 2)
        assert report.size == path.stat().st_size
        assert report.target == target


@pytest.mark.parametrize("rotate", [90, 270])
def test_rotated_a4_is_still_a4(tmp_path: Path, rotate: int) -> None:
    path = pdfs.make_pdf(tmp_path / "rotated.pdf", rotate=rotate)
    assert preflight(path, "sscasn").findings == ()


@pytest.mark.parametrize("rotate", [90, 270])
def test_rotation_swaps_the_visible_size(tmp_path: Path, rotate: int) -> None:
    path = pdfs.make_pdf(tmp_path / "rotated.pdf", size=(200, 400), rotate=rotate)
    finding = preflight(path, "sscasn").finding(Code.NOT_A4)
    assert finding is not None
    assert (finding.params["width"], finding.params["height"]) == (141, 71)


def test_cropbox_is_the_page_that_counts(tmp_path: Path) -> None:
    path = pdfs.make_pdf(tmp_path / "cropped.pdf", cropbox=(50, 50, 350, 350))
    report = preflight(path, "sscasn")
    only(report, Code.NOT_A4)
    assert report.findings[0].severity is Severity.WARNING
    assert report.findings[0].params["width"] == 106
    assert report.ok


def test_cropped_below_stamp_size(tmp_path: Path) -> None:
    path = pdfs.make_pdf(tmp_path / "cropped.pdf", cropbox=(0, 0, 60, 60))
    report = preflight(path)
    only(report, Code.PAGE_TOO_SMALL)
    assert report.blocking


def test_password_protected(tmp_path: Path) -> None:
    report = preflight(pdfs.make_encrypted(tmp_path / "enc.pdf"))
    only(report, Code.ENCRYPTED)
    assert report.findings[0].fix is None
    assert report.page_count is None
    assert "password" in report.findings[0].message.text("en")


def test_owner_password_only_is_still_encrypted(tmp_path: Path) -> None:
    report = preflight(pdfs.make_restricted(tmp_path / "restricted.pdf"))
    only(report, Code.ENCRYPTED)
    assert "restrictions" in report.findings[0].message.text("en")


def test_pdf_1_3_offers_normalise(tmp_path: Path) -> None:
    report = preflight(pdfs.make_pdf(tmp_path / "old.pdf", version="1.3"))
    only(report, Code.OLD_VERSION)
    assert report.pdf_version == "1.3"
    assert report.auto_fixes == (Fix.NORMALISE,)
    assert not report.ok


def test_pdf_1_6_is_new_enough(tmp_path: Path) -> None:
    assert preflight(pdfs.make_pdf(tmp_path / "v16.pdf", version="1.6")).findings == ()


def test_signed(tmp_path: Path) -> None:
    plain = pdfs.make_pdf(tmp_path / "plain.pdf")
    report = preflight(signing.sign_pdf(plain, tmp_path / "signed.pdf"))
    only(report, Code.SIGNED)
    assert report.findings[0].fix is None


def test_certified(tmp_path: Path) -> None:
    plain = pdfs.make_pdf(tmp_path / "plain.pdf")
    report = preflight(signing.sign_pdf(plain, tmp_path / "certified.pdf", certify=True))
    only(report, Code.CERTIFIED)


def test_truncated_with_lost_pages_cannot_be_repaired(tmp_path: Path) -> None:
    report = preflight(pdfs.make_truncated(tmp_path / "truncated.pdf"))
    only(report, Code.DAMAGED)
    assert report.findings[0].fix is None


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_a_scan_cut_inside_its_image_cannot_be_repaired(tmp_path: Path, keep: float) -> None:
    """Escaped bug: the page kept its drawing commands, so the "repair" stamped a blank page."""
    report = preflight(pdfs.make_cut_scan(tmp_path / "cut.pdf", keep))
    only(report, Code.DAMAGED)
    assert report.findings[0].fix is None
    assert "cannot be repaired" in report.findings[0].message.english()


def test_a_page_whose_resources_object_was_cut_off_cannot_be_repaired(tmp_path: Path) -> None:
    """Found in review: the lost resources read back as an empty dictionary, so the text
    kept its drawing commands and lost its font, and a repair was offered."""
    report = preflight(pdfs.make_lost_resources(tmp_path / "cut.pdf"))
    only(report, Code.DAMAGED)
    assert report.findings[0].fix is None


def test_a_legitimate_null_does_not_block_a_repair(tmp_path: Path) -> None:
    """Found in review: ``/DecodeParms [null]`` was taken for a lost object."""
    report = preflight(pdfs.make_null_parms_broken_index(tmp_path / "nulls.pdf"))
    only(report, Code.DAMAGED)
    assert report.auto_fixes == (Fix.REPAIR,)


@pytest.mark.parametrize("make", [pdfs.make_truncated_xref, pdfs.make_broken_startxref])
def test_broken_index_offers_repair(tmp_path: Path, make: Callable[[Path], Path]) -> None:
    report = preflight(make(tmp_path / "broken.pdf"))
    only(report, Code.DAMAGED)
    assert report.auto_fixes == (Fix.REPAIR,)


def test_random_bytes_named_pdf(tmp_path: Path) -> None:
    only(preflight(pdfs.make_garbage(tmp_path / "noise.pdf")), Code.NOT_PDF)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.touch()
    only(preflight(path), Code.EMPTY)


def test_missing_file(tmp_path: Path) -> None:
    report = preflight(tmp_path / "gone.pdf")
    only(report, Code.CANNOT_OPEN)
    assert report.size == 0


def test_zero_pages(tmp_path: Path) -> None:
    report = preflight(pdfs.make_zero_pages(tmp_path / "zero.pdf"))
    assert Code.NO_PAGES in report.codes
    assert report.page_count == 0


def test_oversize_images_offer_downsample(tmp_path: Path) -> None:
    path = pdfs.make_pdf(tmp_path / "scan.pdf", image_bytes=900_000)
    report = preflight(path, "sscasn")
    only(report, Code.TOO_LARGE)
    finding = report.findings[0]
    budget = TARGETS["sscasn"].budget
    assert finding.fix is Fix.DOWNSAMPLE
    assert finding.params["excess"] == report.size - budget
    assert report.auto_fixes == ()
    assert preflight(path, "provider").findings == ()


def test_oversize_without_images_has_no_fix(tmp_path: Path) -> None:
    report = preflight(pdfs.make_padded(tmp_path / "padded.pdf", 900_000), "sscasn")
    only(report, Code.TOO_LARGE)
    assert report.findings[0].fix is None
    assert "no images" in report.findings[0].message.text("en")


def test_letter_is_not_a4_for_sscasn_only(tmp_path: Path) -> None:
    path = pdfs.make_pdf(tmp_path / "letter.pdf", size=LETTER)
    report = preflight(path, "sscasn")
    only(report, Code.NOT_A4)
    assert report.findings[0].message.text("en") == (
        "Page 1 is 216 × 279 mm, not A4 (210 × 297 mm) as an SSCASN upload requires."
    )
    assert preflight(path, "provider").findings == ()


def test_several_pages_not_a4(tmp_path: Path) -> None:
    report = preflight(pdfs.make_pdf(tmp_path / "letter.pdf", pages=3, size=LETTER), "sscasn")
    assert report.findings[0].message.text("en").startswith("3 pages are not A4")


def test_small_page(tmp_path: Path) -> None:
    report = preflight(pdfs.make_pdf(tmp_path / "small.pdf", size=(50, 50)))
    only(report, Code.PAGE_TOO_SMALL)
    assert report.findings[0].severity is Severity.ERROR


def test_page_just_big_enough_for_stamp_and_margin(tmp_path: Path) -> None:
    assert preflight(pdfs.make_pdf(tmp_path / "card.pdf", size=(90, 90))).findings == ()


def cases(tmp_path: Path) -> list[tuple[Path, str]]:
    plain = pdfs.make_pdf(tmp_path / "plain.pdf")
    return [
        (pdfs.make_garbage(tmp_path / "noise.pdf"), "provider"),
        (pdfs.make_truncated(tmp_path / "truncated.pdf"), "provider"),
        (pdfs.make_broken_startxref(tmp_path / "broken.pdf"), "provider"),
        (pdfs.make_encrypted(tmp_path / "enc.pdf"), "provider"),
        (pdfs.make_restricted(tmp_path / "restricted.pdf"), "provider"),
        (pdfs.make_zero_pages(tmp_path / "zero.pdf"), "provider"),
        (signing.sign_pdf(plain, tmp_path / "signed.pdf"), "provider"),
        (signing.sign_pdf(plain, tmp_path / "certified.pdf", certify=True), "provider"),
        (pdfs.make_pdf(tmp_path / "scan.pdf", image_bytes=900_000), "sscasn"),
        (pdfs.make_padded(tmp_path / "padded.pdf", 900_000), "sscasn"),
        (pdfs.make_pdf(tmp_path / "letter.pdf", pages=2, size=LETTER), "sscasn"),
        (pdfs.make_pdf(tmp_path / "letter1.pdf", size=LETTER), "sscasn"),
        (pdfs.make_pdf(tmp_path / "small.pdf", pages=2, size=(50, 50)), "provider"),
        (pdfs.make_pdf(tmp_path / "last.pdf", pages=2, size=(50, 50)), "provider"),
        (tmp_path / "missing.pdf", "provider"),
    ]


def test_every_message_exists_in_both_languages(tmp_path: Path) -> None:
    (tmp_path / "empty.pdf").touch()
    seen: set[str] = set()
    for path, target in [*cases(tmp_path), (tmp_path / "empty.pdf", "provider")]:
        for finding in preflight(path, target).findings:
            english, indonesian = finding.message.text("en"), finding.message.text("id")
            assert english != indonesian, finding.template
            assert "{" not in english + indonesian
            assert finding.message.text() == indonesian
            i18n.set_language("en")
            assert finding.message.text() == english
            i18n.set_language("id")
            seen.add(finding.code)
    # The stamp-placement codes are given by meterai.overlap (tests/core/test_overlap.py).
    assert seen == set(Code) - OVERLAP_CODES


def test_sizes_follow_the_language(tmp_path: Path) -> None:
    path = pdfs.make_pdf(tmp_path / "scan.pdf", image_bytes=1_200_000)
    finding = preflight(path, "sscasn").findings[0]
    assert "1.2 MB" in finding.message.text("en")
    assert "1,2 MB" in finding.message.text("id")  # kept: Indonesian numbers, not copy


def test_findings_are_hashable_values(tmp_path: Path) -> None:
    report = preflight(pdfs.make_pdf(tmp_path / "old.pdf", version="1.3"))
    finding = report.findings[0]
    assert hash(finding) == hash(preflight(report.path).findings[0])
    with pytest.raises(TypeError):
        finding.params["version"] = "1.7"  # type: ignore[index]


def test_preflight_leaves_the_file_alone(tmp_path: Path) -> None:
    path = pdfs.make_broken_startxref(tmp_path / "broken.pdf")
    before = path.read_bytes()
    preflight(path)
    assert path.read_bytes() == before


def test_a_trailer_without_size_is_rewritten_before_a_stamp_is_bought(tmp_path: Path) -> None:
    """Escaped bug (issue 13, 3): pypdf alone passed it; the provider's reader refused it."""
    path = pdfs.make_without_size(tmp_path / "nosize.pdf")
    report = preflight(path)
    assert report.codes == (Code.DAMAGED,)
    assert report.fixes == (Fix.REPAIR,)
    assert "pyHanko" in report.findings[0].message.text("en")


def test_an_object_offset_off_by_some_bytes_is_rewritten(tmp_path: Path) -> None:
    report = preflight(pdfs.make_offset_off(tmp_path / "offset.pdf"))
    assert report.codes == (Code.DAMAGED,)
    assert report.fixes == (Fix.REPAIR,)

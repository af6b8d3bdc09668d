"""Check a received PDF for an e-Meterai, privately: "Periksa meterai" and ``meterai verify``.

HR staff and committees receive stamped documents and want to know, without
uploading them anywhere, whether the stamp is real. The checks themselves are
``verify.verify_stamped`` (the same pyHanko validation and difference analysis the
sync engine runs before a request is done); this module adds what a reader of any
PDF needs around them: one verdict, the facts worth reading (serial number, signing
time, signer, where the stamp is on the page as shown), and, when the file carries no
e-Meterai signature, whether it shows a picture of one, which proves nothing.
Nothing leaves the machine: the trust roots are the active profile's files.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from meterai.errors import InputError, PlacementError
from meterai.i18n import N_
from meterai.messages import Message, Phrase
from meterai.placement import Rect, page_geometry, user_to_visual
from meterai.settings import Paths, Profile
from meterai.stamp_pictures import StampPicture, find_stamp_pictures
from meterai.verify import Check, Expectation, VerificationReport, verify_stamped


class NoTrustRoot(InputError):
    code = "no_trust_root"
    template = N_("No trusted authority is known for profile {profile}: give --ca FILE.")


class Verdict(Enum):
    """The one answer, as a stable id for scripts (``verdict`` in ``verify --json``)."""

    VALID = "valid"
    NOT_VALID = "not_valid"
    PICTURE_ONLY = "picture_only"
    UNSTAMPED = "unstamped"


_HEADLINES = {
    Verdict.VALID: N_("A valid e-Meterai, serial number {sn}."),
    Verdict.NOT_VALID: N_("This e-Meterai is NOT valid."),
    Verdict.PICTURE_ONLY: N_(
        "No e-Meterai: the file shows a picture of one, but carries no e-Meterai signature."
    ),
    Verdict.UNSTAMPED: N_("No e-Meterai: this file is not stamped."),
}

# Where the stamp sits, by thirds of the page as it is shown (rows, then columns).
_AREAS = (
    (N_("top left"), N_("top centre"), N_("top right")),
    (N_("middle left"), N_("centre"), N_("middle right")),
    (N_("bottom left"), N_("bottom centre"), N_("bottom right")),
)


@dataclass(frozen=True)
class Fact:
    """One line of the report: what it is (``label``) and what was found (``value``)."""

    name: str
    label: Message
    value: Message | str

    def value_text(self, lang: str | None = None) -> str:
        """A serial number or a name is shown as it is; a place is worded for ``lang``."""
        return self.value if isinstance(self.value, str) else self.value.text(lang)


@dataclass(frozen=True)
class StampCheck:
    """The checker's report: verify's report, the pictures found, and the stamp's area."""

    report: VerificationReport
    pictures: tuple[StampPicture, ...] = ()
    area: str | None = None

    @property
    def verdict(self) -> Verdict:
        if self.report.ok:
            return Verdict.VALID
        if self.report.has_emeterai:
            return Verdict.NOT_VALID
        return Verdict.PICTURE_ONLY if self.pictures else Verdict.UNSTAMPED

    @property
    def checks(self) -> tuple[Check, ...]:
        return self.report.checks + tuple(_picture_check(p) for p in self.pictures)

    def headline(self) -> Message:
        return Message(_HEADLINES[self.verdict], {"sn": self.report.sn_text})

    def facts(self) -> tuple[Fact, ...]:
        """What is known about the stamp itself; empty for a file without one."""
        report, found = self.report, []
        if report.serial_number:
            found.append(Fact("serial", Message(N_("Serial number")), report.serial_number))
        if report.signed_at is not None:
            found.append(Fact("signed_at", Message(N_("Signed at")), _when(report)))
        if report.signer:
            found.append(Fact("signer", Message(N_("Signed by")), report.signer))
        if report.page_index is not None:
            found.append(Fact("where", Message(N_("Where")), self._where()))
        return tuple(found)

    def _where(self) -> Message:
        page = (self.report.page_index or 0) + 1
        if self.area is None:
            return Message(N_("page {page}"), {"page": page})
        return Message(N_("page {page}, {area}"), {"page": page, "area": Phrase(self.area)})

    def as_json(self) -> dict[str, Any]:
        out = self.report.as_json()
        out["verdict"] = self.verdict.value
        out["area"] = self.area.replace(" ", "-") if self.area else None
        out["checks"] += [_picture_json(p) for p in self.pictures]
        out["pictures"] = [
            {"page": p.page_index + 1, "serial_number": p.serial_number} for p in self.pictures
        ]
        return out


def check_pdf(path: Path, trust_roots: list[Any], expect: Expectation | None = None) -> StampCheck:
    """Every check on ``path``; the picture search only when it has no e-Meterai signature.

    Raises ``VerificationError`` only when no reader can open the file at all.
    """
    report = verify_stamped(path, trust_roots, expect or Expectation())
    if not report.has_emeterai:
        return StampCheck(report, find_stamp_pictures(path))
    return StampCheck(report, area=_area(path, report))


def checking_roots(paths: Paths, profile: Profile, ca: str | None = None) -> list[Path]:
    """``ca``, else the profile's signature trust roots (never its TLS ones).

    The built-in test profile's roots are the sandbox CA of this data folder. Raises
    ``NoTrustRoot`` when no file is known or one is missing.
    """
    if ca:
        files = [Path(ca)]
    elif profile.sign_ca_files:
        files = [Path(name) for name in profile.sign_ca_files]
    elif profile.embedded:
        from meterai.sandbox.pki import material_in

        files = [material_in(paths.sandbox_dir / "ca").ca_file]
    else:
        files = []
    if not files or not all(path.is_file() for path in files):
        raise NoTrustRoot(profile=profile.name)
    return files


def _area(path: Path, report: VerificationReport) -> str | None:
    """The stamp's area by thirds of the page as a viewer shows it (``/Rotate`` applied)."""
    if report.page_index is None or report.rect is None:
        return None
    try:
        geometry = page_geometry(path, report.page_index)
    except PlacementError:
        return None
    shown = user_to_visual(Rect(*report.rect), geometry)
    width, height = geometry.visual_size
    column = _third((shown.x1 + shown.x2) / 2, width)
    row = _third((shown.y1 + shown.y2) / 2, height)
    return _AREAS[row][column]


def _third(centre: float, length: float) -> int:
    if length <= 0:
        return 1
    return min(2, max(0, int(3 * centre / length)))


def _when(report: VerificationReport) -> str:
    """The signing time the signer states, in this machine's time zone, with its offset."""
    assert report.signed_at is not None
    local = report.signed_at.astimezone()
    offset = local.strftime("%z")
    return local.strftime("%Y-%m-%d %H:%M:%S") + f" (UTC{offset[:3]}:{offset[3:]})"


_PICTURE = N_(
    "Page {page} shows a picture of an e-Meterai, but no signature stands behind it: the "
    "picture alone proves nothing."
)
_PICTURE_WITH_SN = N_(
    "Page {page} shows a picture of an e-Meterai (serial number {sn} in its QR code), but "
    "no signature stands behind it: the picture alone proves nothing."
)


def _picture_check(picture: StampPicture) -> Check:
    sn = picture.serial_number
    template = _PICTURE_WITH_SN if sn else _PICTURE
    return Check("picture", False, template, {"page": picture.page_index + 1, "sn": sn or ""})


def _picture_json(picture: StampPicture) -> dict[str, Any]:
    check = _picture_check(picture)
    return {"name": check.name, "passed": False, "message": check.message.text()}

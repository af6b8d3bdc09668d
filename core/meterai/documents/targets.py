"""Where a stamped document is going, and what that destination accepts.

A target is a named budget: the user picks "SSCASN upload" and every check and fix
works to that budget, before a stamp is spent on a file the destination would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass

from meterai.i18n import N_
from meterai.messages import Phrase

MIN_PDF_VERSION = (1, 6)
"""The provider's signing adapter rewrites anything older, breaking the prefix check."""

NORMALISED_VERSION = "1.7"

MIN_STAMP_PT = 54.0
"""The smallest stamp square used in practice (provider specimens are 54 to 100 pt)."""

STAMP_MARGIN_PT = 18.0
"""Room kept between the stamp and the page edge, so printers and viewers do not clip it."""

A4_PT = (595.28, 841.89)
A4_TOLERANCE_PT = 5.67
"""2 mm: scanners and "Microsoft Print to PDF" round A4 by a point or two."""


def is_a4(width: float, height: float) -> bool:
    """A page of ``width`` × ``height`` points is A4, either way up, within the tolerance."""
    short, long = sorted((width, height))
    return abs(short - A4_PT[0]) <= A4_TOLERANCE_PT and abs(long - A4_PT[1]) <= A4_TOLERANCE_PT


STAMP_ALLOWANCE = 60_000
"""Bytes a stamp adds (signature with its certificate chain, QR and specimen image).

Limits such as SSCASN's apply to the stamped file, so the document must leave room.
"""


@dataclass(frozen=True)
class Target:
    """A destination: the most bytes it accepts after stamping, and its paper rule."""

    name: str
    label: Phrase
    max_bytes: int
    stamp_allowance: int = 0
    require_a4: bool = False

    @property
    def budget(self) -> int:
        """The most bytes the document may have before stamping."""
        return self.max_bytes - self.stamp_allowance


TARGETS: dict[str, Target] = {
    "sscasn": Target(
        name="sscasn",
        label=Phrase(N_("an SSCASN upload")),
        max_bytes=800_000,
        stamp_allowance=STAMP_ALLOWANCE,
        require_a4=True,
    ),
    "provider": Target(
        name="provider",
        label=Phrase(N_("the stamping service")),
        max_bytes=10_000_000,
    ),
}
DEFAULT_TARGET = "provider"


def target_named(name: str) -> Target:
    """The target called ``name``; an unknown name is a programming error."""
    return TARGETS[name]

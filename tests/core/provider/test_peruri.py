"""Peruri's own names live in ``provider/peruri.py`` and nowhere else in the product."""

from __future__ import annotations

from pathlib import Path

from meterai.provider import peruri

REPO = Path(__file__).resolve().parents[3]
HOME = REPO / "core" / "meterai" / "provider" / "peruri.py"
MARKERS = (
    *(f'"{endpoint.path.split("{")[0]}' for endpoint in peruri.ENDPOINTS),
    "final_{",
    "doc_{",
    '"/sharefolder',
    f'"{peruri.SIGNER_PROFILE}"',
    '.png"',
)
"""How a path, a share name or the signer profile looks when written out as a literal."""


def test_paths_and_share_names_are_written_only_in_peruri() -> None:
    """The client and the sandbox (which plays Peruri) take them from the one module, so
    a second provider is one more module, not a hunt through the tree."""
    offenders = [
        f"{path.relative_to(REPO)}: {marker}"
        for folder in ("core", "desktop")
        for path in sorted((REPO / folder).rglob("*.py"))
        if path != HOME
        for marker in MARKERS
        if marker in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_the_markers_find_what_peruri_writes() -> None:
    """The check above cannot pass by looking for the wrong spelling."""
    text = HOME.read_text(encoding="utf-8")
    assert [marker for marker in MARKERS if marker not in text] == []

"""X.509 names prepared once per distinct value: the same answers as asn1crypto's own."""

from __future__ import annotations

from typing import Any

import pytest
from asn1crypto import x509

from meterai import asn1names


def _original() -> Any:
    current = x509.NameTypeAndValue._ldap_string_prep
    return getattr(current, "__wrapped__", current)


# RFC 4518's cases: mapped-to-nothing and whitespace characters, compatibility forms,
# case folding, insignificant spaces, bidirectional text, and prohibited characters.
STRINGS = [
    "Meterai Sandbox Root CA",
    "  PERURI   Intermediate\tCA  ",
    "so\u00adft\u200bhyphen",
    "\ufb01ligature \u2163 \u00bd",
    "Stra\u00dfe \u0130stanbul",
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629",
    "mixed \u0627\u0644 latin",
    "private \ue000 use",
    "unassigned \U000e0100",
    "",
    " ",
]


def _outcome(prep: Any, string: str) -> tuple[str, str]:
    try:
        return "value", prep(None, string)
    except ValueError as exc:
        return "error", str(exc)


@pytest.mark.parametrize("string", STRINGS, ids=range(len(STRINGS)))
def test_the_cached_preparation_answers_as_asn1cryptos_own_twice(string: str) -> None:
    cached = asn1names.cached_prep(_original())
    expected = _outcome(_original(), string)
    assert _outcome(cached, string) == expected
    assert _outcome(cached, string) == expected  # from the cache (or raised again)


def test_names_of_two_parses_of_one_certificate_still_compare_as_rfc_5280_says() -> None:
    asn1names.install()
    assert asn1names.install()  # idempotent
    name = x509.Name.build({"common_name": "Meterai  Sandbox CA", "country_name": "ID"})
    again = x509.Name.load(name.dump())
    folded = x509.Name.build({"common_name": "meterai sandbox ca", "country_name": "ID"})
    other = x509.Name.build({"common_name": "Another CA", "country_name": "ID"})
    assert name == again == folded
    assert name != other
    assert getattr(x509.NameTypeAndValue._ldap_string_prep, "_meterai_cached", False)


def test_a_prohibited_character_still_refuses_the_name() -> None:
    asn1names.install()
    bad = x509.Name.build({"common_name": "private \ue000 use"})
    with pytest.raises(ValueError, match="private use characters"):
        _ = bad == x509.Name.load(bad.dump())

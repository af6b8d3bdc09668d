"""The identity of the party the duty is levied on: optional, but whole and well formed."""

from __future__ import annotations

import pytest

from meterai.identity import (
    BadIdentityName,
    BadNik,
    BadNpwp,
    Identity,
    IdentityIncomplete,
    UnknownIdentityKind,
    identity_from,
)


def test_nothing_given_means_no_identity() -> None:
    assert identity_from(None, "", "  ") is None


@pytest.mark.parametrize(
    ("kind", "number", "expected"),
    [
        ("ktp", "3174 0123 4567 8901", "3174012345678901"),
        ("NPWP", "01.234.567.8-901.000", "012345678901000"),
        ("npwp", "3174012345678901", "3174012345678901"),
    ],
)
def test_numbers_are_kept_as_digits_whatever_the_separators(
    kind: str, number: str, expected: str
) -> None:
    assert identity_from(kind, number, " Siti   Aminah ") == Identity(
        kind.upper(), expected, "Siti Aminah"
    )


@pytest.mark.parametrize(
    ("kind", "number", "name", "error"),
    [
        ("KTP", "3174012345678901", "", IdentityIncomplete),
        ("", "3174012345678901", "Siti", IdentityIncomplete),
        ("SIM", "12345", "Siti", UnknownIdentityKind),
        ("KTP", "317401234567890", "Siti", BadNik),
        ("KTP", "31740123456789O1", "Siti", BadNik),
        ("NPWP", "1234567890123", "PT Maju", BadNpwp),
        ("KTP", "3174012345678901", "Siti <script>", BadIdentityName),
        ("KTP", "3174012345678901", "Siti 😀", BadIdentityName),
        ("KTP", "3174012345678901", "S" * 101, BadIdentityName),
    ],
)
def test_a_wrong_identity_names_its_problem(
    kind: str, number: str, name: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        identity_from(kind, number, name)


def test_the_problem_names_the_number_it_refused() -> None:
    with pytest.raises(BadNik) as caught:
        identity_from("KTP", "123", "Siti")
    assert caught.value.message().english() == ("A KTP number (NIK) has 16 digits; “123” does not.")


@pytest.mark.parametrize(
    "name", ["PT 3M Indonesia", "CV Maju & Jaya (Persero)", "Ni Luh Putu Ayu", "Nguyễn Văn An"]
)
def test_names_of_people_and_companies_are_accepted(name: str) -> None:
    identity = identity_from("NPWP", "012345678901000", name)
    assert identity is not None and identity.name == name

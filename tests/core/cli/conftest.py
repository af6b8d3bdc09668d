"""The CLI tests' fixtures: a data dir and a home of their own, and one PDF of each kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.pdfs import make_encrypted, make_garbage, make_pdf, make_unreadable_box
from tests.support.signing import sign_pdf


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pdfs")
    return {
        "good": make_pdf(folder / "good.pdf", pages=2),
        "encrypted": make_encrypted(folder / "encrypted.pdf"),
        "signed": sign_pdf(make_pdf(folder / "to-sign.pdf"), folder / "signed.pdf"),
        "certified": sign_pdf(
            make_pdf(folder / "to-certify.pdf"), folder / "certified.pdf", certify=True
        ),
        "garbage": make_garbage(folder / "garbage.pdf"),
        "unreadable": make_unreadable_box(folder / "unreadable.pdf"),
    }


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"

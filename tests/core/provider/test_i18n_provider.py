"""Every text the provider package and credentials show has an Indonesian translation."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import meterai
from meterai.i18n import translations

CORE = Path(meterai.__file__).parent
SOURCES = [*sorted((CORE / "provider").glob("*.py")), CORE / "credentials.py"]
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _marked(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("_", "N_")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append(node.args[0].value)
    return found


MSGIDS = sorted({m for path in SOURCES for m in _marked(path)})


def test_there_is_something_to_check() -> None:
    assert len(MSGIDS) >= 10


@pytest.mark.parametrize("msgid", MSGIDS)
def test_translated_with_the_same_placeholders(msgid: str) -> None:
    text = translations("id").gettext(msgid)
    assert text != msgid, f"no Indonesian translation for {msgid!r}"
    assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(msgid))


def test_catalogue_header() -> None:
    po = CORE / "locale" / "id" / "LC_MESSAGES" / "provider.po"
    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in po.read_text("utf-8")

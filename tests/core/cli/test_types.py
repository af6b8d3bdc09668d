"""Issue 3's acceptance through the installed ``meterai`` script, as a kiosk or a script runs it.

Every call is a real process with a real data dir, so exit codes, stdout/stderr and
the default language are what a caller sees, not what an in-process test would.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import (
    EXIT_OK,
    meterai,
)


def test_types_lists_the_built_in_document_types(data: Path, home: Path) -> None:
    result = meterai("--data-dir", data, "types", "--json", home=home)
    assert result.code == EXIT_OK
    assert "3" in {t["kode"] for t in json.loads(result.out)}

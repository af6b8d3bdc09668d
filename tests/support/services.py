"""Whether a missing outside service (PostgreSQL, the PDF corpus) may skip its tests here.

The README's test command installs and starts them, so a run through it (which sets
``METERAI_FULL_CHECK``) or any CI run (``CI``) must fail rather than skip: a skipped
PostgreSQL suite in CI would pass with nothing checked.
"""

from __future__ import annotations

import os


def required_here() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("METERAI_FULL_CHECK"))

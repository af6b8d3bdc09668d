"""Real mounts for tests of full and read-only disks (root only; CI runs as root)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("mount") is None:
        pytest.skip("no mount command on this machine")
    return subprocess.run(["mount", *args], capture_output=True, text=True)


@pytest.fixture
def mounts() -> Iterator[Callable[..., None]]:
    """``mount(*args)``; skips (with mount's own words) where mounting is not permitted,
    and unmounts everything it mounted at the end, whatever the test did."""
    mounted: list[Path] = []

    def mount(*args: str) -> None:
        done = _mount(*args)
        if done.returncode != 0:
            if not mounted:
                pytest.skip(f"mount is not permitted here: {done.stderr.strip()}")
            raise AssertionError(done.stderr)
        target = Path(args[-1])
        if target not in mounted:
            mounted.append(target)

    yield mount
    for target in reversed(mounted):
        if subprocess.run(["umount", str(target)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(target)], capture_output=True)


def read_only_view(folder: Path, view: Path, mount: Callable[..., None]) -> Path:
    """``folder`` seen through a read-only bind mount at ``view``: read-only even for root,
    which ignores a folder's permission bits."""
    view.mkdir(parents=True, exist_ok=True)
    mount("--bind", str(folder), str(view))
    mount("-o", "remount,ro,bind", str(view))
    return view

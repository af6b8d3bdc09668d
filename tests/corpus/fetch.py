"""The corpus nobody here wrote: the PDFs inside two projects' source distributions.

pikepdf ships its test resources in the sdist; pdfminer.six stopped shipping its
``samples/`` after 20181108, so that release is pinned. Both are fetched with pip
from the package index (the same index CI installs from), and only the PDFs are
kept, under a git-ignored cache folder, so nothing third-party is committed and a
second run needs no network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

SOURCES = (("pikepdf", "10.18.0"), ("pdfminer.six", "20181108"))
"""Pinned (project, version): a new release must not change the corpus under a test."""

CACHE_ENV = "METERAI_CORPUS_DIR"
DEFAULT_CACHE = Path(__file__).resolve().parents[1] / "data" / "corpus"
_COMPLETE = ".complete"
PIP_TIMEOUT = 600.0


class CorpusUnavailable(RuntimeError):
    """The package index could not be reached (or refused), so the corpus is missing."""


def cache_dir() -> Path:
    explicit = os.environ.get(CACHE_ENV)
    return Path(explicit) if explicit else DEFAULT_CACHE


def corpus_files(cache: Path | None = None) -> list[Path]:
    """Every PDF of every pinned source, fetching what the cache lacks."""
    root = cache or cache_dir()
    files: list[Path] = []
    for project, version in SOURCES:
        folder = root / f"{project}-{version}"
        if not (folder / _COMPLETE).exists():
            _fetch(project, version, folder)
        files.extend(sorted(p for p in folder.rglob("*") if p.is_file() and p.name != _COMPLETE))
    return files


def _fetch(project: str, version: str, folder: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="meterai-corpus-") as tmp:
        archive = _download(project, version, Path(tmp))
        staging = Path(tmp) / "pdfs"
        _extract_pdfs(archive, staging)
        shutil.rmtree(folder, ignore_errors=True)
        folder.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staging), folder)
    (folder / _COMPLETE).write_text(f"{project}=={version}\n")


def _download(project: str, version: str, dest: Path) -> Path:
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-binary",
        ":all:",
        "--no-deps",
        "--disable-pip-version-check",
        "--quiet",
        "-d",
        str(dest),
        f"{project}=={version}",
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise CorpusUnavailable(f"pip download {project}=={version} timed out") from exc
    archives = sorted(dest.glob("*.tar.gz"))
    if done.returncode != 0 or not archives:
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no archive"]
        raise CorpusUnavailable(f"pip download {project}=={version}: {detail[0]}")
    return archives[0]


def _extract_pdfs(archive: Path, dest: Path) -> None:
    """Only regular ``.pdf`` members, each under its path in the archive minus the top folder."""
    dest.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            if not (member.isfile() and member.name.lower().endswith(".pdf")):
                continue
            relative = Path(*Path(member.name).parts[1:])
            source = tar.extractfile(member)
            if source is None or ".." in relative.parts:
                continue
            target = dest / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with source, target.open("wb") as out:
                shutil.copyfileobj(source, out)


if __name__ == "__main__":
    for path in corpus_files():
        print(path)

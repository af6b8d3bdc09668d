"""Run the corpus through the product as a user would: ``add``, ``sync --once``, ``verify``.

Every step is the real CLI in its own process with a time limit, so a hang is
counted (and killed) instead of stalling the run, and a traceback is seen where
the user would see it: on stderr or in the data folder's log. The provider is
the sandbox over HTTPS on loopback, and its ledger is the judge of money: a
serial number bought for a request that did not end done and valid is a stamp
paid for nothing. Shared by the slow test and ``bench/corpus.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meterai.sandbox import SandboxServer
from meterai.settings import resolve_paths
from tests.support.sandbox import point_at

ADD_TIMEOUT = 60.0
VERIFY_TIMEOUT = 60.0
SYNC_TIMEOUT_BASE = 60.0
SYNC_TIMEOUT_PER_DOC = 5.0
"""A sync of the whole corpus takes about 2 s a document on a busy 2-core machine."""
TRACEBACK = "Traceback (most recent call last)"
EXIT_REJECTED = 3
WORKERS = min(4, os.cpu_count() or 1)
"""Adds and verifies run side by side: each is a process of its own, waiting on disk or CPU."""


@dataclass(frozen=True)
class Refusal:
    """Why ``add`` refused a file, in both languages, with the file's name taken out."""

    file: str
    indonesian: str
    english: str

    @property
    def bilingual(self) -> bool:
        """Both present and really translated (an untranslated msgid reads the same)."""
        return bool(self.indonesian and self.english) and self.indonesian != self.english


@dataclass
class Tally:
    files: int = 0
    refused: list[Refusal] = field(default_factory=list)
    queued: int = 0
    rewritten: list[str] = field(default_factory=list)
    done_valid: int = 0
    not_done: list[str] = field(default_factory=list)
    paid_not_done: list[str] = field(default_factory=list)
    tracebacks: list[str] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)
    other_failures: list[str] = field(default_factory=list)

    @property
    def unexplained_refusals(self) -> list[Refusal]:
        return [r for r in self.refused if not r.bilingual]

    def refusals_by_reason(self) -> dict[tuple[str, str], list[str]]:
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        for refusal in self.refused:
            groups[(refusal.indonesian, refusal.english)].append(refusal.file)
        return dict(sorted(groups.items(), key=lambda item: -len(item[1])))

    def table(self) -> str:
        rows = [
            ("files", self.files),
            ("refused with a message", len(self.refused) - len(self.unexplained_refusals)),
            ("refused without a message in both languages", len(self.unexplained_refusals)),
            ("queued", self.queued),
            ("  of which rewritten by a fix first", len(self.rewritten)),
            ("done and valid", self.done_valid),
            ("queued but not done and valid", len(self.not_done)),
            ("paid but not done (must be 0)", len(self.paid_not_done)),
            ("tracebacks (must be 0)", len(self.tracebacks)),
            ("hangs (must be 0)", len(self.hangs)),
            ("other failures", len(self.other_failures)),
        ]
        lines = ["| count | |", "|---|---|"] + [f"| {name} | {n} |" for name, n in rows]
        for title, items in (
            ("not done", self.not_done),
            ("paid but not done", self.paid_not_done),
            ("tracebacks", self.tracebacks),
            ("hangs", self.hangs),
            ("other failures", self.other_failures),
        ):
            if items:
                counted = Counter(items)
                lines += ["", f"{title}:"]
                for item, n in counted.items():
                    lines.append(f"  - {item}" + (f" (x{n})" if n > 1 else ""))
        if self.rewritten:
            lines += ["", "rewritten by a fix before queueing:"]
            lines += [f"  - {name}" for name in self.rewritten]
        lines += ["", "refusals by reason:"]
        for (indonesian, english), files in self.refusals_by_reason().items():
            lines += [f"- {len(files)} file(s): {', '.join(files)}", f"    id: {indonesian}"]
            lines += [f"    en: {english}"]
        return "\n".join(lines)


class Cli:
    """The ``meterai`` command on one data folder, each call a process with a deadline."""

    def __init__(self, data_dir: Path, tally: Tally) -> None:
        self.data_dir = data_dir
        self.tally = tally

    def __call__(
        self, label: str, args: list[str], timeout: float, lang: str = "id"
    ) -> subprocess.CompletedProcess[str] | None:
        command = [sys.executable, "-m", "meterai.cli.main", "--data-dir", str(self.data_dir)]
        command += ["--lang", lang, *args]
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            self.tally.hangs.append(f"{label}: no answer in {timeout:.0f} s")
            return None
        if TRACEBACK in done.stderr or TRACEBACK in done.stdout:
            self.tally.tracebacks.append(f"{label}: {_last_line(done.stderr)}")
        return done


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _named_files(files: Iterable[Path], root: Path, folder: Path) -> dict[str, Path]:
    """Copies with unique, readable names (``pikepdf-10.18.0__tests__resources__x.pdf``)."""
    folder.mkdir(parents=True, exist_ok=True)
    named: dict[str, Path] = {}
    for path in files:
        name = "__".join(path.relative_to(root).parts)
        copy = folder / name
        copy.write_bytes(path.read_bytes())
        named[name] = copy
    return named


def _message(stderr: str, file: str) -> str:
    """The refusal as the user reads it, the file name replaced so reasons group."""
    text = " ".join(line.strip() for line in stderr.strip().splitlines() if line.strip())
    return text.replace(file, "{file}")


def _add_one(cli: Cli, name: str, path: Path, out: Path) -> Refusal | bool | str:
    """True when queued, a ``Refusal`` when refused, a string when it failed otherwise."""
    args = ["add", str(path), "--type", "3", "--out", str(out)]
    done = cli(f"add {name}", args, ADD_TIMEOUT)
    if done is None:
        return False
    if done.returncode == 0:
        return True
    if done.returncode != EXIT_REJECTED:
        return f"add {name}: exit {done.returncode} {done.stderr[-300:]}"
    english = cli(f"add {name} (en)", args, ADD_TIMEOUT, lang="en")
    if english is not None and english.returncode == 0:
        return True  # refused in one language, queued in the other: report it as queued
    english_text = _message(english.stderr, path.name) if english else ""
    return Refusal(name, _message(done.stderr, path.name), english_text)


def add_all(cli: Cli, named: dict[str, Path], out: Path, tally: Tally) -> None:
    with ThreadPoolExecutor(WORKERS) as pool:
        outcomes = pool.map(lambda item: _add_one(cli, *item, out), named.items())
        for outcome in outcomes:
            tally.files += 1
            if isinstance(outcome, Refusal):
                tally.refused.append(outcome)
            elif isinstance(outcome, str):
                tally.other_failures.append(outcome)
            elif outcome:
                tally.queued += 1


def _verify_one(cli: Cli, row: dict[str, Any], docs: Path) -> str | None:
    """None when the stamped file verifies; otherwise what went wrong."""
    label = f"request {row['id']} ({row['file']})"
    if row["state"] != "done":
        return f"{label}: {row['state']}: {row.get('last_error') or ''}"
    original = docs / f"{row['sha256']}.pdf"
    args = ["verify", str(row["output_path"]), "--original", str(original)]
    checked = cli(f"verify {label}", args, VERIFY_TIMEOUT)
    if checked is not None and checked.returncode == 0:
        return None
    return f"{label}: done but verify says: {_last_line(checked.stdout) if checked else ''}"


def sync_and_verify(cli: Cli, server: SandboxServer, named: dict[str, Path], tally: Tally) -> None:
    budget = SYNC_TIMEOUT_BASE + SYNC_TIMEOUT_PER_DOC * tally.queued
    cli("sync --once", ["sync", "--once", "--concurrency", "2"], budget)
    status = cli("status", ["status", "--json"], ADD_TIMEOUT)
    rows: list[dict[str, Any]] = json.loads(status.stdout) if status and status.stdout else []
    docs = resolve_paths(cli.data_dir).docs_dir
    done_sns: set[str] = set()
    with ThreadPoolExecutor(WORKERS) as pool:
        problems = pool.map(lambda r: _verify_one(cli, r, docs), rows)
        for row, problem in zip(rows, problems, strict=True):
            source = named.get(str(row["file"]))
            if source and hashlib.sha256(source.read_bytes()).hexdigest() != row["sha256"]:
                tally.rewritten.append(str(row["file"]))
            if problem is None:
                tally.done_valid += 1
                done_sns.add(str(row["sn"]))
            else:
                tally.not_done.append(problem)
    for serial in _serials(server):
        if serial["sn"] not in done_sns:
            tally.paid_not_done.append(
                f"{serial['sn']} ({serial['status']}, {serial.get('namafile')})"
            )


def _serials(server: SandboxServer) -> list[dict[str, Any]]:
    with server.admin_client(timeout=30) as http:
        ledger = http.get("/_sandbox/ledger").json()
    return [s for account in ledger["accounts"] for s in account["serials"]]


def _logged_tracebacks(data_dir: Path, tally: Tally) -> None:
    logs = resolve_paths(data_dir).logs_dir
    for log in sorted(logs.glob("*.log*")) if logs.exists() else []:
        text = log.read_text(errors="replace")
        for chunk in text.split(TRACEBACK)[1:]:
            tally.tracebacks.append(f"log: {_last_line(chunk.split(chr(10) + '20')[0])}")


def run_corpus(files: list[Path], root: Path, work: Path) -> tuple[Tally, float]:
    """Every file through add, one sync, and verify; returns the tally and the seconds taken."""
    started = time.monotonic()
    tally = Tally()
    with SandboxServer(work / "provider") as server:
        paths = resolve_paths(work / "client")
        point_at(paths, server)
        cli = Cli(paths.data_dir, tally)
        named = _named_files(files, root, work / "inbox")
        add_all(cli, named, work / "out", tally)
        sync_and_verify(cli, server, named, tally)
        _logged_tracebacks(paths.data_dir, tally)
    return tally, time.monotonic() - started

"""Issue 14: power lost at every sync point of ``add`` and of one stamping run.

Each sync point K is a separate run of ``power_loss_worker.py`` in a fresh data dir:
it records every ``os.fsync``/``os.fdatasync`` and every outbox commit as it happens,
and at the K-th one writes what a power cut would leave (every write not yet synced
dropped: see the worker's docstring for the model and its limits) and SIGKILLs
itself. The test then puts that image in place of the data dir and checks:

- 0 lost accepted requests: every request the worker reported as queued is in the
  outbox, and every request in the outbox has its document copy, whole;
- after the next sync against the same sandbox (which saw everything the worker
  sent before the cut): the request is done, the ledger holds exactly one serial
  number for it (0 double-bought) and that one was stamped once.

Linux only (the shim reads ``/proc/self/fd``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from itertools import count
from pathlib import Path

import pytest

from meterai.intake import IntakeOptions, queue_file
from meterai.outbox import Outbox, State
from meterai.sandbox import SandboxServer
from meterai.settings import Paths, load_settings, resolve_paths
from meterai.sync.runner import SyncRunner
from tests.support.pdfs import make_pdf
from tests.support.sandbox import FAST, Admin, point_at

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc"),
]

WORKER = Path(__file__).with_name("power_loss_worker.py")


def _prepare(root: Path, server: SandboxServer, source: Path) -> Paths:
    """A data dir with one accepted request, everything on disk (the state before the op)."""
    paths = resolve_paths(root / "data")
    point_at(paths, server)
    (root / "out").mkdir(parents=True)
    box = Outbox.open(paths)
    queue_file(box, paths, source, IntakeOptions(doc_type="3", out_dir=str(root / "out")))
    box.close()
    return paths


def _run_worker(
    root: Path, phase: str, cut_at: int, source: Path, env: dict[str, str] | None = None
) -> tuple[bool, list[int]]:
    """(whether the cut happened, ids reported queued before it)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "METERAI_STALL_TIMEOUT": "3", **(env or {})}
    done = subprocess.run(
        [sys.executable, str(WORKER), str(root), phase, str(cut_at), str(source)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    if done.returncode not in (0, -signal.SIGKILL):
        pytest.fail(f"worker failed ({done.returncode}): {done.stderr[-3000:]}")
    queued = [
        int(line.split()[1]) for line in done.stdout.splitlines() if line.startswith("queued ")
    ]
    return done.returncode == -signal.SIGKILL, queued


def _power_cut(root: Path) -> None:
    """The image becomes the disk: what was not synced is gone."""
    for name in ("data", "out"):
        shutil.rmtree(root / name)
        (root / "image" / name).rename(root / name)


def _check_accepted(paths: Paths, reported: list[int]) -> list[str]:
    problems = []
    box = Outbox.open(paths)
    try:
        rows = {r.id: r for r in box.requests()}
    finally:
        box.close()
    problems += [f"request {i} was reported queued and is gone" for i in reported if i not in rows]
    for row in rows.values():
        copy = paths.docs_dir / f"{row.doc_sha256}.pdf"
        if not copy.is_file() or hashlib.sha256(copy.read_bytes()).hexdigest() != row.doc_sha256:
            problems.append(f"request {row.id}: document copy missing or damaged")
    return problems


def _finish(paths: Paths) -> list[str]:
    """The next sync after the power comes back must finish the request by itself."""
    SyncRunner(paths, load_settings(paths), config=FAST).run_once()
    box = Outbox.open(paths)
    try:
        return [
            f"request {r.id} ended {r.state} after the next sync: {r.last_error}"
            for r in box.requests()
            if r.state != State.DONE
        ]
    finally:
        box.close()


def _judge_ledger(paths: Paths, admin: Admin) -> tuple[int, int, list[str]]:
    """(double-bought, stamped more than once, problems) for this data dir's requests."""
    box = Outbox.open(paths)
    try:
        prefix = f"mdk-{box.install_id()}-"
        rows = box.requests()
    finally:
        box.close()
    serials = [s for s in admin.serials() if prefix in (s["namafile"] or "")]
    double_bought = max(0, len(serials) - len(rows))
    double_stamped = sum(1 for s in serials if s["stamp_count"] > 1)
    problems = []
    if {s["sn"] for s in serials} != {r.sn for r in rows}:
        problems.append(
            f"serials {sorted(s['sn'] for s in serials)} vs held {[r.sn for r in rows]}"
        )
    return double_bought, double_stamped, problems


def _cut_add_everywhere(
    tmp_path: Path, provider: SandboxServer, first: Path, second: Path, env: dict[str, str]
) -> tuple[int, list[str]]:
    """Queue ``second`` beside an accepted ``first``, cut at every sync point in turn."""
    problems: list[str] = []
    for cut in count(1):
        root = tmp_path / f"add-{cut}"
        paths = _prepare(root, provider, first)
        was_cut, reported = _run_worker(root, "add", cut, second, env)
        _power_cut(root)
        problems += [f"add, cut at {cut}: {p}" for p in _check_accepted(paths, [1, *reported])]
        if not was_cut:
            return cut, problems
    raise AssertionError("unreachable")


def test_power_lost_at_every_sync_point_loses_nothing_and_buys_once(
    tmp_path: Path, provider: SandboxServer, admin: Admin
) -> None:
    started = time.monotonic()
    first = make_pdf(tmp_path / "first.pdf")
    second = make_pdf(tmp_path / "second.pdf", pages=2)
    add_cuts, problems = _cut_add_everywhere(tmp_path, provider, first, second, {})
    lost = len(problems)

    double_bought = double_stamped = 0
    for stamp_cuts in count(1):
        admin.reset()
        root = tmp_path / f"stamp-{stamp_cuts}"
        paths = _prepare(root, provider, first)
        was_cut, _ = _run_worker(root, "stamp", stamp_cuts, first)
        _power_cut(root)
        found = _check_accepted(paths, [1])
        lost += len(found)
        found += _finish(paths)
        bought, stamped, ledger = _judge_ledger(paths, admin)
        double_bought += bought
        double_stamped += stamped
        problems += [f"stamp, cut at {stamp_cuts}: {p}" for p in (*found, *ledger)]
        if not was_cut:
            break

    print(
        f"\npower loss: {add_cuts - 1} sync points in add, {stamp_cuts - 1} in one stamping run "
        f"(each cut, plus once after the last); {lost} lost, {double_bought} double-bought, "
        f"{double_stamped} stamped twice; {time.monotonic() - started:.0f} s"
    )
    assert not problems, "\n".join(problems[:20])
    assert (lost, double_bought, double_stamped) == (0, 0, 0)
    assert add_cuts > 4 and stamp_cuts > 12, "the shim saw too few sync points to mean much"


def test_the_harness_catches_a_rename_never_made_durable(
    tmp_path: Path, provider: SandboxServer
) -> None:
    """A power-loss test that cannot fail proves nothing: with folder fsyncs turned off, the
    document copy of an accepted request must be found missing after some cut."""
    first = make_pdf(tmp_path / "first.pdf")
    second = make_pdf(tmp_path / "second.pdf", pages=2)
    _cuts, problems = _cut_add_everywhere(
        tmp_path, provider, first, second, {"POWER_LOSS_BREAK": "fsync_dir"}
    )
    assert any("document copy missing" in p for p in problems), problems

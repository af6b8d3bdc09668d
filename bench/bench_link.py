"""An applicant's link: one 500 kB document from ``meterai add`` to verified, against the floor.

The link (``_link.py``, a process of its own between the client and the sandbox):
1 Mbit/s each way, 300 ms round trip, 2% of segments lost. Ours is the time from
starting ``meterai add`` (a child process, as the applicant runs it, on a data folder
whose outbox exists: not the first document ever) to the end
of ``sync --once``'s work in-process (upload, serial number, stamp, download,
pyHanko verification, export), with whatever start-up calls the runner makes.

The floor is physics plus the protocol: the bytes that must cross the link (the
document up, the stamped file down, the provider's answers, measured once on an
unshaped link) over the bandwidth, plus one round trip for each call the protocol
needs (login, upload, serial number, stamp, download). No handshakes, no headers,
no loss. Target (issue 19): at most 1.3x the floor. Medians of the runs, each on
a fresh data folder and a fresh link (its own loss seed).

    .venv/bin/python bench/bench_link.py [--runs 3] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import httpx

import _common  # noqa: F401  (sys.path)
from _common import METERAI, Row, api_client_over, cli, make_pdf, median
from _sandbox import ExternalSandbox
from bench_sync import sync_ours
from meterai.outbox import Outbox
from meterai.settings import resolve_paths
from meterai.sync.runner import RunnerConfig

os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

KBIT_S, RTT_MS, LOSS = 1000, 300, 0.02
BYTES_PER_SECOND = KBIT_S * 1000 / 8
ROUND_TRIPS = ("login", "upload", "serial number", "stamp", "download")
IMAGE_BYTES = 490_000  # a ~500 kB document
LINK = str(Path(__file__).with_name("_link.py"))


class ShapedLink:
    """``_link.py`` in front of the sandbox; bytes carried each way, read at the end."""

    def __init__(self, target_port: int, seed: int) -> None:
        args = [str(target_port), str(KBIT_S), str(RTT_MS), str(LOSS), str(seed)]
        self.proc = subprocess.Popen(
            [sys.executable, LINK, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        self.port = json.loads(self.proc.stdout.readline())["port"]
        self.carried: dict[str, int] = {}

    def close(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        self.carried = json.loads(self.proc.stdout.readline())
        self.proc.wait(20)


def protocol_bytes(sandbox: ExternalSandbox, doc: Path) -> tuple[int, int, int]:
    """(document up, stamped file down, the provider's other answers), on an unshaped link."""
    answers: list[int] = []

    def count(response: httpx.Response) -> None:
        response.read()
        if "getfile" not in str(response.url) and "/_sandbox" not in str(response.url):
            answers.append(len(response.content))

    sandbox.reset()
    ctx = sandbox.ssl_context()
    with httpx.Client(
        base_url=sandbox.base_url, verify=ctx, event_hooks={"response": [count]}
    ) as http:
        api = api_client_over(http)
        api.login()
        _sn, stamped = api.full_stamp(doc, nodoc="FLOOR")
    return doc.stat().st_size, len(stamped), sum(answers)


def one_run(sandbox: ExternalSandbox, doc: Path, work: Path, seed: int) -> tuple[float, str]:
    sandbox.reset()
    data = work / f"run{seed}"
    paths = resolve_paths(data)
    link = ShapedLink(int(sandbox.base_url.rsplit(":", 1)[1]), seed)
    try:
        shaped = SimpleNamespace(base_url=f"https://127.0.0.1:{link.port}", ca_file=sandbox.ca_file)
        sandbox.settings_for(paths)
        from tests.support.sandbox import point_at

        point_at(paths, shaped)  # type: ignore[arg-type]
        Outbox.open(paths).close()  # an applicant's second document: the outbox exists
        started = time.perf_counter()
        add = [METERAI, "--data-dir", str(data), "add", "--type", "3", "--out", str(work / "out")]
        subprocess.run([*add, str(doc)], check=True, capture_output=True)
        queued = time.perf_counter() - started
        elapsed = queued + sync_ours(paths, 1, RunnerConfig())
    finally:
        link.close()
    shutil.rmtree(data)
    carried = f"{link.carried['up'] / 1e3:.0f} kB up, {link.carried['down'] / 1e3:.0f} kB down"
    return elapsed, carried


def run(args: argparse.Namespace) -> list[Row]:
    runs = 1 if args.quick else min(args.runs, 3)
    with tempfile.TemporaryDirectory(prefix="meterai-bench-link-") as tmp:
        work = Path(tmp)
        doc = make_pdf(work / "application.pdf", image_bytes=IMAGE_BYTES)
        with ExternalSandbox(work / "sandbox") as sandbox:
            up, down, answers = protocol_bytes(sandbox, doc)
            results = [one_run(sandbox, doc, work, seed) for seed in range(1, runs + 1)]
    transfer = (up + down + answers) / BYTES_PER_SECOND
    waits = len(ROUND_TRIPS) * RTT_MS / 1000
    floor = transfer + waits
    ours = median([r[0] for r in results])
    ratio = ours / floor
    return [
        Row(
            f"applicant's link ({KBIT_S / 1000:.0f} Mbit/s, {RTT_MS} ms RTT, {LOSS:.0%} loss), "
            f"one {up / 1e3:.0f} kB document, add to verified",
            f"{ours:.1f} s",
            f"{floor:.1f} s floor",
            ratio,
            f"{ratio:.2f}x",
            "<= 1.3x the floor",
            ratio <= 1.3,
            f"floor = ({up / 1e3:.0f} kB up + {down / 1e3:.0f} kB down + {answers / 1e3:.1f} kB "
            f"of answers) / {KBIT_S / 1000:.0f} Mbit/s = {transfer:.2f} s, + {len(ROUND_TRIPS)} "
            f"round trips ({', '.join(ROUND_TRIPS)}) x {RTT_MS} ms = {waits:.1f} s; median of "
            f"{runs} runs ({'; '.join(f'{s:.1f} s, {c}' for s, c in results)})",
        )
    ]


if __name__ == "__main__":
    cli(run, __doc__)

"""Kiosk throughput: 200 documents arriving in bursts, 150 ms latency on every call.

Runs the real kiosk (watched inbox, intake, sync runner) in-process against a real
sandbox over HTTPS in a process of its own (as the provider is: its signing does not
compete with the kiosk for the GIL), once at concurrency 1 and once at 8, and prints
documents per minute for each, the CPU time each side spent, then every document's
done time beside its queue wait and its stamping time (done = wait + stamping: a
document is never held up by anything but the queue in front of it).

    .venv/bin/python bench/kiosk.py [--count 200] [--burst 25] [--gap 2.0] [--quiet]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "core"), str(ROOT / "bench")]
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

from tests.support.kiosk import pdf_bytes  # noqa: E402

from _sandbox import ExternalSandbox  # noqa: E402
from meterai.kiosk import FolderDefaults, Kiosk, KioskConfig  # noqa: E402
from meterai.kiosk.settle import SettleRules  # noqa: E402
from meterai.outbox import State  # noqa: E402
from meterai.settings import load_settings, resolve_paths  # noqa: E402
from meterai.sync.events import Event, StateChanged  # noqa: E402

LATENCY = {"rules": [{"endpoint": "*", "fault": "latency", "seconds": 0.15}]}


@dataclass
class Clock:
    arrived: dict[str, float] = field(default_factory=dict)
    started: dict[int, float] = field(default_factory=dict)
    done: dict[int, float] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    cpu_ours: float = 0.0
    cpu_provider: float = 0.0

    def __call__(self, event: Event) -> None:
        now = time.monotonic()
        request_id = getattr(event, "request_id", None) or getattr(
            getattr(event, "row", None), "id", None
        )
        if request_id is None:
            return
        with self.lock:
            self.started.setdefault(request_id, now)
            if isinstance(event, StateChanged):
                self.names[request_id] = event.row.file_name
                if event.row.state == State.DONE:
                    self.done[request_id] = now


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and its live children (Linux ``/proc``):
    the sandbox signs in worker processes of its own."""
    return sum(_own_cpu(p) for p in (pid, *_children(pid)))


def _own_cpu(pid: int) -> float:
    try:
        fields_ = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:  # a child that ended meanwhile
        return 0.0
    return (int(fields_[11]) + int(fields_[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    return [
        int(child)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    ]


def run(concurrency: int, docs: list[bytes], args: argparse.Namespace, work: Path) -> Clock:
    with ExternalSandbox(work / "provider") as sandbox:
        sandbox.reset(LATENCY)
        paths = resolve_paths(work / "data")
        sandbox.settings_for(paths)
        clock = Clock()
        ours0, provider0 = time.process_time(), cpu_seconds(sandbox.proc.pid)
        config = KioskConfig(
            inbox=work / "inbox",
            outbox=work / "outbox",
            rejected=work / "rejected",
            defaults=FolderDefaults(doc_type="3"),
            concurrency=concurrency,
            rules=SettleRules(settle=0.5, grace=0.1),
            rescan=1.0,
            tick=0.05,
        )
        kiosk = Kiosk(paths, load_settings(paths), config, sync_events=clock)
        stop = threading.Event()
        thread = threading.Thread(target=kiosk.run, args=(stop,))
        thread.start()
        while kiosk.runner.balance is None:
            time.sleep(0.05)
        for start in range(0, len(docs), args.burst):
            for i in range(start, min(start + args.burst, len(docs))):
                name = f"doc-{i:03}.pdf"
                folder = config.inbox / f"customer-{i % 5}"
                folder.mkdir(parents=True, exist_ok=True)
                part = folder / f"{name}.part"
                part.write_bytes(docs[i])
                part.rename(folder / name)  # a whole file appears: the close rule applies
                clock.arrived[name] = time.monotonic()
            time.sleep(args.gap)
        while len(clock.done) < len(docs):
            time.sleep(0.1)
        stop.set()
        thread.join()
        clock.cpu_ours = time.process_time() - ours0
        clock.cpu_provider = cpu_seconds(sandbox.proc.pid) - provider0
        return clock


def report(label: str, clock: Clock, quiet: bool) -> float:
    first = min(clock.arrived.values())
    last = max(clock.done.values())
    per_minute = 60 * len(clock.done) / (last - first)
    waits, stamps, dones = [], [], []
    lines = []
    for request_id in sorted(clock.done):
        arrived = clock.arrived[clock.names[request_id]]
        wait = clock.started[request_id] - arrived
        stamping = clock.done[request_id] - clock.started[request_id]
        done = clock.done[request_id] - arrived
        waits.append(wait)
        stamps.append(stamping)
        dones.append(done)
        lines.append(
            f"  {clock.names[request_id]}  done {done:6.2f} s = wait {wait:6.2f} s "
            f"+ stamping {stamping:5.2f} s"
        )
    print(f"{label}: {per_minute:.0f} documents per minute ({len(dones)} in {last - first:.1f} s)")
    print(
        f"  CPU: kiosk {clock.cpu_ours:.1f} s, provider {clock.cpu_provider:.1f} s "
        f"over {last - first:.1f} s"
    )
    print(
        f"  median done {statistics.median(dones):.2f} s, wait {statistics.median(waits):.2f} s, "
        f"stamping {statistics.median(stamps):.2f} s; worst done {max(dones):.2f} s"
    )
    if not quiet:
        print("\n".join(lines))
    return per_minute


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--burst", type=int, default=25)
    parser.add_argument("--gap", type=float, default=2.0, help="seconds between bursts")
    parser.add_argument("--quiet", action="store_true", help="no per-document lines")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="meterai-bench-kiosk-") as tmp:
        sources = Path(tmp) / "sources"
        sources.mkdir()
        docs = [pdf_bytes(sources, f"doc-{i:03}") for i in range(args.count)]
        print(
            f"{args.count} documents in bursts of {args.burst} every {args.gap} s, "
            "150 ms latency on every provider call"
        )
        rates = {}
        for concurrency in (1, 8):
            clock = run(concurrency, docs, args, Path(tmp) / f"c{concurrency}")
            rates[concurrency] = report(f"concurrency {concurrency}", clock, args.quiet)
        print(f"speed-up at concurrency 8: {rates[8] / rates[1]:.1f}x")


if __name__ == "__main__":
    main()

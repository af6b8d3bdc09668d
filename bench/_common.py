"""What every benchmark shares: rows, interleaved medians, child processes' peak RSS, the machine.

A benchmark module exposes ``run(args) -> list[Row]`` and ends with
``cli(run, __doc__)``, which makes it runnable alone (prints its rows) and lets
``run_all.py`` collect its rows as JSON from a child process (``--json``).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for extra in (str(ROOT), str(ROOT / "core"), str(ROOT / "desktop")):
    if extra not in sys.path:
        sys.path.insert(0, extra)

PYTHON = sys.executable
METERAI = str(Path(sys.executable).with_name("meterai"))
JSON_MARK = "BENCH-ROWS-JSON:"
DEFAULT_BOX = (420.0, 60.0, 520.0, 160.0)
"""The stamp rectangle the sandbox tests use (tests.support.api_client.DEFAULT_BOX)."""


def make_pdf(path: Path, **kwargs: Any) -> Path:
    """The tests' PDF maker (imported here, after ``sys.path`` knows the repository)."""
    from tests.support.pdfs import make_pdf as real

    return real(path, **kwargs)


def api_client(server: Any, **kwargs: Any) -> Any:
    """The tests' raw provider API client."""
    from tests.support.api_client import ApiClient

    return ApiClient(server, **kwargs)


def api_client_over(http: Any) -> Any:
    """The tests' raw provider API client, through an ``httpx.Client`` made here."""
    from tests.support.api_client import ApiClient

    return ApiClient.over(http)


@dataclass
class Row:
    metric: str
    ours: str
    floor: str
    ratio: float | None
    ratio_text: str
    target: str
    passed: bool
    note: str = ""


def ratio_row(
    metric: str,
    ours: float,
    floor: float,
    *,
    unit: str,
    limit: float,
    target: str,
    note: str = "",
    fmt: str = "{:.3g}",
) -> Row:
    """A row where ours/floor must be at most ``limit``."""
    ratio = ours / floor if floor else float("inf")
    return Row(
        metric,
        fmt.format(ours) + f" {unit}",
        fmt.format(floor) + f" {unit}",
        ratio,
        f"{ratio:.2f}x",
        target,
        ratio <= limit,
        note,
    )


def interleaved(
    fns: Sequence[Callable[[], float]], runs: int, warmup: int = 1
) -> list[list[float]]:
    """Run each measurement ``runs`` times, alternating them (A B A B ...); returns samples.

    Each function returns the seconds it measured itself (so set-up stays out). The
    order is flipped every round, so neither side always runs on a warmer cache. The
    cyclic garbage collector is run before each sample: otherwise the full collection
    one side's allocations trigger also sweeps the other side's garbage (a 500-page
    parse leaves some 200,000 objects in cycles), and whichever side it lands in looks
    20 ms slower, in no fixed pattern.
    """
    for _ in range(warmup):
        for fn in fns:
            fn()
    samples: list[list[float]] = [[] for _ in fns]
    for i in range(runs):
        order = list(range(len(fns)))
        if i % 2:
            order.reverse()
        for k in order:
            gc.collect()
            samples[k].append(fns[k]())
    return samples


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


@dataclass(frozen=True)
class ChildRun:
    seconds: float
    max_rss_mb: float
    returncode: int
    stdout: str
    cpu_seconds: float = 0.0
    """The child's own user + system CPU time (wait4): what load on the machine hardly moves."""


def compile_tree() -> None:
    """Byte-compile our packages before a start-up is timed.

    A user's second start (or any start after ``pip install``) finds the bytecode
    cached; a shell with ``PYTHONDONTWRITEBYTECODE`` set, as some CI images and this
    workshop's have, would otherwise recompile every edited module on every timed
    start (about 15 ms for the GUI), timing a first start after an edit instead.
    """
    import compileall

    for package in ("core", "desktop"):
        compileall.compile_dir(str(ROOT / package), quiet=1)


def run_child(
    cmd: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    stdout_to_devnull: bool = False,
    timeout: float = 120.0,
) -> ChildRun:
    """Run ``cmd``; wall time from spawn to exit, and the child's own peak RSS (wait4)."""
    full_env = {**os.environ, **(env or {})}
    out = subprocess.DEVNULL if stdout_to_devnull else subprocess.PIPE
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, env=full_env)
    deadline = started + timeout
    text = b""
    if out == subprocess.PIPE:
        assert proc.stdout is not None
        text = proc.stdout.read()
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.001)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read() if proc.stderr else b""
    if proc.stdout:
        proc.stdout.close()
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err.decode()[-2000:]}")
    # ru_maxrss is in kilobytes on Linux.
    cpu = usage.ru_utime + usage.ru_stime
    return ChildRun(elapsed, usage.ru_maxrss / 1024, proc.returncode, text.decode(), cpu)


def machine() -> dict[str, str]:
    """CPU model, cores, RAM, disk, Python, OS, and how busy the machine was."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": ram,
        "disk": _disk(),
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "OS": f"{platform.system()} {platform.release()} ({_os_name()})",
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def _disk() -> str:
    try:
        df = subprocess.run(
            ["df", "-h", "--output=source,fstype,size", str(ROOT)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        source, fstype, size = df[-3:]
        rotational = "?"
        dev = Path(source).name.rstrip("0123456789")
        flag = Path(f"/sys/block/{dev}/queue/rotational")
        if flag.exists():
            rotational = "rotational" if flag.read_text().strip() == "1" else "non-rotational"
        return (
            f"{source} {fstype} {size} ({rotational}, virtual disk)"
            if "vd" in dev
            else (f"{source} {fstype} {size} ({rotational})")
        )
    except (OSError, subprocess.CalledProcessError, ValueError):
        return "unknown"


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.platform()


def table(rows: Sequence[Row]) -> str:
    head = "| metric | ours | floor or peer | ratio | target | result | note |"
    lines = [head, "|---|---|---|---|---|---|---|"]
    for r in rows:
        verdict = "pass" if r.passed else "**FAIL**"
        lines.append(
            f"| {r.metric} | {r.ours} | {r.floor} | {r.ratio_text} | {r.target} | "
            f"{verdict} | {r.note} |"
        )
    return "\n".join(lines)


def cli(run: Callable[[argparse.Namespace], list[Row]], doc: str | None) -> None:
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per side (median)")
    parser.add_argument("--json", action="store_true", help="print rows as JSON (run_all)")
    parser.add_argument(
        "--quick", action="store_true", help="a smaller workload, for CI: same rows, rougher"
    )
    args = parser.parse_args()
    rows = run(args)
    if args.json:
        print(JSON_MARK + json.dumps([asdict(r) for r in rows]))
    else:
        print(table(rows))
    sys.exit(0 if all(r.passed for r in rows) else 1)


def rows_from_json(text: str) -> list[Row]:
    for line in reversed(text.splitlines()):
        if line.startswith(JSON_MARK):
            return [Row(**r) for r in json.loads(line[len(JSON_MARK) :])]
    raise ValueError("no rows in the benchmark's output")


def fmt_bytes_rate(bps: float) -> str:
    return f"{bps / 1e6:.0f} MB/s"


def load(path: Path) -> Any:
    return json.loads(path.read_text())

"""Several counters on one shared database: 3 counters at concurrency 4 each against one.

200 documents, every provider call delayed by 150 ms (the sandbox's latency fault), a
throw-away PostgreSQL cluster and the sandbox in its own process. Each form runs
``meterai sync --once --concurrency 4`` processes (1, then ``--counters``) on a fresh
database with the documents spread over the counters' folders, until every request is
done. Prints both times, the ratio (target >= 2.7 for 3 counters) and the logins the
account saw (target: one per token lifetime, whatever the number of counters).

    .venv/bin/python bench/counters.py [--docs 200] [--latency 0.15] [--counters 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401  (sys.path)
from _common import make_pdf
from _sandbox import ExternalSandbox
from meterai.intake import IntakeOptions, queue_file
from meterai.outbox import Outbox, State
from meterai.settings import Paths, resolve_paths

os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


def _counters(root: Path, sandbox: ExternalSandbox, count: int) -> list[Paths]:
    made = []
    for n in range(1, count + 1):
        paths = resolve_paths(root / f"loket-{n}")
        sandbox.settings_for(paths)
        (paths.data_dir / "counter-name").write_text(f"loket-{n}\n")
        made.append(paths)
    return made


def _queue(counters: list[Paths], docs: int, sources: Path) -> None:
    sources.mkdir(parents=True, exist_ok=True)
    for i in range(docs):
        paths = counters[i % len(counters)]
        box = Outbox.open(paths)
        try:
            pdf = make_pdf(sources / f"doc-{i}.pdf")
            queue_file(box, paths, pdf, IntakeOptions(doc_type="3", out_dir=str(sources / "out")))
        finally:
            box.close()


def _drain(counters: list[Paths]) -> float:
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "meterai.cli.main",
                "--data-dir",
                str(p.data_dir),
                "sync",
                "--once",
                "--concurrency",
                "4",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for p in counters
    ]
    for proc in procs:
        proc.wait()
    return time.perf_counter() - started


def one_form(
    cluster: object, sandbox: ExternalSandbox, root: Path, args: argparse.Namespace, count: int
) -> tuple[float, int]:
    sandbox.reset({"rules": [{"endpoint": "*", "fault": "latency", "seconds": args.latency}]})
    from tests.support.postgres import fresh_database

    os.environ["METERAI_DATABASE"] = fresh_database(cluster)  # type: ignore[arg-type]
    counters = _counters(root / f"form-{count}", sandbox, count)
    _queue(counters, args.docs, root / f"form-{count}" / "sources")
    elapsed = _drain(counters)
    box = Outbox.open(counters[0])
    try:
        done = box.count(states=[State.DONE])
        logins = box.backend.one("SELECT coalesce(sum(logins), 0) AS n FROM tokens")
    finally:
        box.close()
    if done != args.docs:
        raise SystemExit(f"{count} counter(s): only {done} of {args.docs} done")
    return elapsed, int(logins["n"]) if logins else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--counters", type=int, default=3)
    args = parser.parse_args()
    from tests.support.postgres import running_cluster  # after _common put the repo on sys.path

    with (
        tempfile.TemporaryDirectory(prefix="meterai-bench-counters-") as tmp,
        running_cluster() as cluster,
    ):
        os.environ["PGPASSWORD"] = cluster.password
        with ExternalSandbox(Path(tmp) / "provider") as sandbox:
            one, one_logins = one_form(cluster, sandbox, Path(tmp), args, 1)
            many, many_logins = one_form(cluster, sandbox, Path(tmp), args, args.counters)
    print(
        f"{args.docs} documents at {args.latency * 1000:.0f} ms latency: 1 counter "
        f"{one:.1f} s ({one_logins} login), {args.counters} counters {many:.1f} s "
        f"({many_logins} login); ratio {one / many:.2f}x (target >= 2.7)"
    )


if __name__ == "__main__":
    main()

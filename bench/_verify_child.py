"""One side of ``bench_verify.py`` under callgrind: instructions per verification.

    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=functools_reduce \
        python bench/_verify_child.py ours|floor COUNT STAMPED ORIGINAL CA_FILE SERIAL

Both sides are warmed up first (imports, pyHanko's lazy set-up, the caches both
share); only the ``COUNT`` verifications inside ``functools.reduce`` are counted,
which is what ``--toggle-collect`` selects. Instruction counts do not move with the
machine's load, unlike CPU seconds on a shared 2-core machine.
"""

from __future__ import annotations

import functools
import gc
import sys
from pathlib import Path

import bench_verify
from meterai.verify import Expectation, load_trust_roots, verify_stamped

WARMUP = 5


def main(side: str, count: int, stamped: Path, original: Path, ca: Path, sn: str) -> None:
    roots = load_trust_roots([ca])
    expect = Expectation(original, page_index=9, rect=bench_verify.DEFAULT_BOX, serial_number=sn)

    def ours() -> None:
        assert verify_stamped(stamped, roots, expect).ok

    def floor() -> None:
        bench_verify.pyhanko_alone(stamped, roots)

    for _ in range(WARMUP):
        ours()
        floor()
    check = ours if side == "ours" else floor
    gc.collect()
    functools.reduce(lambda done, _: (check(), done + 1)[1], range(count), 0)


if __name__ == "__main__":
    side, count, stamped, original, ca, sn = sys.argv[1:7]
    main(side, int(count), Path(stamped), Path(original), Path(ca), sn)

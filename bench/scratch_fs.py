"""What one file operation costs where the benches make their scratch, beside /tmp.

An attempt's start makes a handful of files and folders in `.striatum/` beside the repository
(its folders, prompt, FIFO, logs, pid file), and the agent's output folder. On the development
machine creating one costs 0.02-0.05 ms in most folders, but 0.2-0.8 ms for hours at a time in
some (in /tmp in one session, in the checkout in the next, on the same disk): a supervised
job's figure then carries a few milliseconds of the file system. The benches make their homes
and repositories in `bench.scratch.SCRATCH_DIR` (STRIATUM_BENCH_DIR, else /tmp); `make bench`
sets it to the cheaper, at that moment, of `.bench-scratch` in the checkout and /tmp
(`--cheapest`), and the report gives both costs and the folder used, so the figures can be
read against them.

Usage: python -m bench.scratch_fs [--samples 300]
       python -m bench.scratch_fs --cheapest DIR [DIR ...]   (prints the cheaper folder)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.scratch import SCRATCH_DIR

CHECKOUT_SCRATCH = str(Path(__file__).resolve().parents[1] / ".bench-scratch")


def per_operation_ms(base: str, samples: int) -> float:
    """Mean time of one mkdir, one file created and written, one symlink (per operation)."""
    folder = tempfile.mkdtemp(prefix="striatum-bench-fs-", dir=base)
    try:
        started = time.perf_counter()
        for n in range(samples):
            made = os.path.join(folder, f"d{n}")
            os.mkdir(made)
            with open(os.path.join(made, "f"), "w") as handle:
                handle.write("x")
            os.symlink("/bin/true", os.path.join(made, "l"))
        return round((time.perf_counter() - started) / (3 * samples) * 1000, 4)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measure(samples: int = 300) -> dict[str, Any]:
    scratch = per_operation_ms(SCRATCH_DIR, samples)
    tmp = per_operation_ms("/tmp", samples)
    os.makedirs(CHECKOUT_SCRATCH, mode=0o755, exist_ok=True)
    checkout = per_operation_ms(CHECKOUT_SCRATCH, samples)
    return {
        "benchmark": "scratch_fs",
        "samples": samples,
        "scratch_dir": SCRATCH_DIR,
        "scratch_dir_op_ms": scratch,
        "tmp_op_ms": tmp,
        "checkout_op_ms": checkout,
        "tmp_to_scratch_dir": round(tmp / scratch, 1) if scratch else None,
    }


def cheapest(folders: list[str], samples: int = 200) -> str:
    """The folder where making files costs least now (each made if missing, reachable by the
    embedded cluster's user)."""
    costs = {}
    for folder in folders:
        os.makedirs(folder, mode=0o755, exist_ok=True)
        costs[folder] = per_operation_ms(folder, samples)
    return min(folders, key=costs.__getitem__)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--cheapest", nargs="+", metavar="DIR")
    args = parser.parse_args()
    if args.cheapest:
        print(cheapest(args.cheapest))
    else:
        print(json.dumps(measure(args.samples), indent=2))


if __name__ == "__main__":
    main()

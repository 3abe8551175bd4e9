"""What one file operation costs where the benches make their scratch, beside /tmp.

An attempt's start makes a handful of files and folders in `.striatum/` beside the repository
(its folder, prompt, FIFO, logs, pid file). On some machines those cost many times more in
/tmp than in a project folder on the same disk (on the development machine 0.2-1 ms against
0.03 ms): the benches make their homes and repositories in `bench.scratch.SCRATCH_DIR`
(STRIATUM_BENCH_DIR; `make bench` sets it to `.bench-scratch` in the checkout, where a
project lives; /tmp otherwise), and this reports both, so their figures can be read against
them.

Usage: python -m bench.scratch_fs [--samples 300]
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

PROJECT_DIR = str(Path(__file__).resolve().parents[2])  # where a checkout lives


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
    return {
        "benchmark": "scratch_fs",
        "samples": samples,
        "scratch_dir": SCRATCH_DIR,
        "scratch_dir_op_ms": scratch,
        "tmp_op_ms": tmp,
        "tmp_to_scratch_dir": round(tmp / scratch, 1) if scratch else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=300)
    print(json.dumps(measure(parser.parse_args().samples), indent=2))


if __name__ == "__main__":
    main()

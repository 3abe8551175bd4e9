"""What one file operation costs where the benches make their scratch, beside a project
folder (this checkout's parent).

An attempt's start makes a handful of files and folders in `.striatum/` beside the repository
(its folder, prompt, FIFO, logs, pid file). On some machines those cost many times more in
/tmp than elsewhere on the same disk (on the development machine, 0.5-1 ms against
0.03-0.2 ms): the scale bench makes its repositories in `bench.scratch.SCRATCH_DIR`
(STRIATUM_BENCH_DIR, /tmp by default), and this reports both, so its figures can be read
against them.

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
    project = per_operation_ms(PROJECT_DIR, samples)
    return {
        "benchmark": "scratch_fs",
        "samples": samples,
        "scratch_dir": SCRATCH_DIR,
        "scratch_dir_op_ms": scratch,
        "project_dir": PROJECT_DIR,
        "project_dir_op_ms": project,
        "scratch_to_project": round(scratch / project, 1) if project else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=300)
    print(json.dumps(measure(parser.parse_args().samples), indent=2))


if __name__ == "__main__":
    main()

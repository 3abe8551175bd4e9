"""Sandbox benchmark: what a lane's `sandbox: standard` adds per job (issue 22's budget: 5 ms),
and what `strict` adds (its egress bridge: a Python started inside each sandbox).

The lanes benchmark's run of instant agents under the supervisor, with each sandbox and
without, alternating in the same daemon (so all see the same machine at the same time);
prints each round's overhead per job and the median added cost per job, beside the cost of
one bare `bwrap ... true` against one bare `true` measured in the same run.

Usage: python -m bench.sandbox [--jobs 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from bench import lanes
from bench.scratch import daemon_home
from striatum.lanes import sandbox
from striatum.lanes.sandbox import Plan


def spawn_ms(argv: list[str], times: int = 50) -> float:
    started = time.perf_counter()
    for _ in range(times):
        subprocess.run(argv, check=True)
    return (time.perf_counter() - started) / times * 1000


def run(jobs: int, rounds: int) -> dict[str, Any]:
    """On a daemon of its own."""
    with daemon_home("sandbox") as base:
        return measure(base, jobs, rounds)


def measure(base: Path, jobs: int, rounds: int) -> dict[str, Any]:
    """Against the daemon this process points at, each run in its own folder of `base`."""
    bwrap = sandbox.mechanism()
    if bwrap is None:
        return {"benchmark": "sandbox", "skipped": "no working bubblewrap here"}
    per_job: dict[str, list[float]] = {"none": [], "standard": [], "strict": []}
    for n in range(rounds):
        for mode in per_job:
            folder = base / f"{mode}-{n}"
            folder.mkdir()
            found = lanes.measure(folder, jobs, 8, 8, lane={"sandbox": mode})
            assert found["run_state"] == "succeeded", found
            per_job[mode].append(found["overhead_per_job_ms"])
    bare = spawn_ms(["true"])
    wrapped = spawn_ms(sandbox.wrap(bwrap, Plan(workdir=Path("/")), ["true"]))
    added = [s - n for s, n in zip(per_job["standard"], per_job["none"], strict=True)]
    strict = [s - n for s, n in zip(per_job["strict"], per_job["none"], strict=True)]
    return {
        "benchmark": "sandbox",
        "jobs": jobs,
        "rounds": rounds,
        "overhead_per_job_ms": per_job,
        "added_per_job_ms": round(statistics.median(added), 2),
        "target_added_per_job_ms": 5,
        "strict_added_per_job_ms": round(statistics.median(strict), 2),
        "spawn_true_ms": round(bare, 2),
        "spawn_bwrap_true_ms": round(wrapped, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(run(args.jobs, args.rounds), indent=2))


if __name__ == "__main__":
    main()

"""Lanes benchmark: a 200-job DAG under the supervisor with instant scripted agents.

8 lanes' worth of parallelism (one lane, max_concurrency 8); each agent writes its output file
and exits. Prints one JSON report: jobs/s, orchestration overhead per job (wall time minus
agent time, divided by the jobs), and its ratio to one event-append transaction measured in
the same run. Target: overhead per job <= 50 ms on a 2-core machine.

Usage: python -m bench.lanes [--jobs 200] [--fanout 8] [--parallel 8]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench.run import append_transaction_seconds
from bench.scratch import cli, daemon_home, git_repo, started_run, supervise, tree_dag

AGENT = (
    "import os, sys, time; t = time.perf_counter(); "
    "open(os.environ['STRIATUM_OUTPUT'], 'w').write('done\\n'); "
    "open(sys.argv[1], 'a').write(str(time.perf_counter() - t) + chr(10))"
)
# The same, writing its time into its own scratch folder (a sandboxed agent writes nowhere else).
SCRATCH_TIMES = "agent-seconds.txt"
SANDBOXED_AGENT = AGENT.replace(
    "sys.argv[1]",
    f"os.path.join(os.path.dirname(os.environ['STRIATUM_PROMPT_FILE']), {SCRATCH_TIMES!r})",
)


def measure(
    base: Path,
    jobs: int = 200,
    fanout: int = 8,
    parallel: int = 8,
    lane: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A run of `jobs` instant agents under the supervisor, against the running daemon;
    `lane`: more settings of the lane (a sandbox: each agent then keeps its time in its own
    scratch folder)."""
    repo = git_repo(base)
    timings = base / "agent-seconds.txt"
    lane = {"sandbox": "none", **(lane or {})}  # unless asked: bench.sandbox compares them
    sandboxed = lane["sandbox"] != "none"
    agent = SANDBOXED_AGENT if sandboxed else AGENT
    run_id = started_run(
        repo,
        base / "workflow.json",
        tree_dag(
            jobs,
            fanout,
            {
                "provider": "command",
                "max_concurrency": parallel,
                "command": [sys.executable, "-c", agent, str(timings)],
                **lane,
            },
            with_outputs=True,
        ),
    )
    started = time.perf_counter()
    supervise(repo, run_id)
    wall = time.perf_counter() - started
    state = cli(repo, "status", "--run-id", run_id)["run"]["state"]
    kept = repo.glob(f".striatum/runs/{run_id}/**/{SCRATCH_TIMES}") if sandboxed else [timings]
    agent_s = sum(float(line) for path in kept for line in path.read_text().split())
    append_s = append_transaction_seconds()
    overhead = (wall - agent_s) / jobs
    return {
        "benchmark": "lanes",
        "jobs": jobs,
        "fanout": fanout,
        "parallel": parallel,
        "run_state": state,
        "wall_s": round(wall, 2),
        "jobs_per_s": round(jobs / wall, 1),
        "agent_seconds_total": round(agent_s, 3),
        "overhead_per_job_ms": round(overhead * 1000, 1),
        "event_append_transaction_ms": round(append_s * 1000, 3),
        "overhead_ratio_to_append": round(overhead / append_s, 1),
        "target_overhead_per_job_ms": 50,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--fanout", type=int, default=8)
    parser.add_argument("--parallel", type=int, default=8)
    args = parser.parse_args()
    with daemon_home("lanes") as base:
        print(json.dumps(measure(base, args.jobs, args.fanout, args.parallel), indent=2))


if __name__ == "__main__":
    main()

"""Crosshost benchmark (issue 23): what a run pays for crossing hosts.

One DAG of --jobs independent jobs, alternately on lane `here` and lane `there`, each lane
--parallel jobs at once; each job's agent (a `command` lane, sandbox none) writes one small
file in its write scope and its artifact, and exits. Two daemons (STRIATUM_HOST bench-host-a
and bench-host-b, each with its own home and runtime directory) on one database; two clones
of one bare remote (a file path), host B's joined to host A's repository (bench.crosshost_hosts).
The same DAG runs --repeat times each way, alternately:

- one host: both lanes local; `striatum supervise` on host A runs every job;
- split: `there` placed on workers, run by `striatum worker --lane there` on host B (started,
  and serving, before the clock starts), `here` by host A's supervisor; the jobs' commits and
  artifacts travel through the run's branch on the remote (lanes/run_branch.py).

Reported per case: the wall time of `supervise` (its start to the run's end: what host A's
user waits), overhead per job (wall / jobs), per host the leases taken, completed and failed
and how long one was held (claim to completion), how long after host A's first lease host B
took its first (a worker finds a run by polling), the job commits on the run's branch and how
many jobs' artifacts host A's checkout holds (its daemon reads them there); then the ratio
split / one host of the medians. Beside them, in the same run, on a remote and clones of
their own, what `run_branch.catch_up` and `run_branch.push` cost per call
(bench.crosshost_git).

Lanes allow --max-attempts (default 3, the lanes' own default); the report counts failed
attempts (a push that cannot land fails one). A run that waits for a human (`blocked`) or
that stops moving (`stalled`) is cancelled and reported as such.

One machine plays both hosts: they share its cores, the database and the remote's disk.

Usage: python -m bench.crosshost [--jobs 200] [--repeat 1] [--parallel 1] [--max-attempts 3]
       [--git-calls 50]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import crosshost_git
from bench.crosshost_hosts import Children, Host, cli, serving, supervise, two_hosts
from bench.scratch import migrated_cluster
from striatum.store import connection as db

# Each file's one line is its own: files alike would be paired as renames by git, and a
# revert of one would then conflict with another.
AGENT = (
    'mkdir -p src && echo "$STRIATUM_JOB_ID" > "src/$STRIATUM_JOB_ID.txt" '
    '&& echo "$STRIATUM_JOB_ID by $STRIATUM_LEASE" > "$STRIATUM_OUTPUT"'
)
STALL_S, PER_JOB_S = 60.0, 3.0  # a run taking longer than STALL_S + PER_JOB_S a job stalled
FAILURES = """
SELECT left(coalesce(reason, ''), 200) AS reason, count(*) AS times
FROM striatumd.job_attempts WHERE run_id = %(run)s AND state = 'failed'
GROUP BY 1 ORDER BY 2 DESC LIMIT 5
"""
LEASES = """
SELECT host, count(*) AS leases,
       count(*) FILTER (WHERE outcome = 'completed') AS completed,
       count(*) FILTER (WHERE outcome = 'failed') AS failed,
       min(acquired_at) AS first_at,
       avg(extract(epoch FROM ended_at - acquired_at)) AS held_s
FROM striatumd.leases WHERE run_id = %(run)s GROUP BY host ORDER BY host
"""


@dataclass(frozen=True, kw_only=True)
class Dag:
    """The DAG both ways run: its size and its lanes' settings."""

    jobs: int
    parallel: int  # each lane's max_concurrency
    attempts: int  # each lane's max_attempts

    def workflow(self, *, split: bool) -> dict[str, Any]:
        """Independent jobs, alternately on `here` and `there` (placed on workers when
        `split`), each writing src/<job>.txt and its artifact."""
        lane = {
            "provider": "command",
            "command": ["sh", "-c", AGENT],
            "max_concurrency": self.parallel,
            "max_attempts": self.attempts,
            "timeout_s": 600,
            "sandbox": "none",
        }
        return {
            "schema_version": "striatum.workflow.v1",
            "id": "bench-crosshost",
            "name": "Bench crosshost",
            "lanes": {"here": lane, "there": {**lane, "placement": "workers"} if split else lane},
            "jobs": [
                {
                    "id": f"j{n:04d}",
                    "kind": "task",
                    "lane": "there" if n % 2 else "here",
                    "write_scope": [f"src/j{n:04d}.txt", f"docs/striatum/j{n:04d}.md"],
                    "artifacts": [{"path": f"docs/striatum/j{n:04d}.md"}],
                }
                for n in range(self.jobs)
            ],
        }


def run_case(
    database: db.Database, hosts: tuple[Host, Host], children: Children, folder: Path, dag: Dag
) -> dict[str, Any]:
    """One run of the DAG, split when `folder` says so, timed from `supervise`'s start to its
    end."""
    a, b = hosts
    split = folder.name.endswith("split")
    folder.mkdir(parents=True)
    (folder / "workflow.json").write_text(json.dumps(dag.workflow(split=split)))
    run_id = cli(a, "run", "prepare", "--workflow", str(folder / "workflow.json"))["run_id"]
    cli(a, "run", "start", "--run-id", run_id, "--no-supervise")
    worker = serving(b, "there", children, folder / "worker.log")
    with worker if split else contextlib.nullcontext():
        started = time.perf_counter()
        limit = STALL_S + PER_JOB_S * dag.jobs
        how = supervise(a, children, run_id, folder / "supervise.log", limit)
        wall = time.perf_counter() - started
    run = cli(a, "status", "--run-id", run_id)["run"]
    return {
        "case": "split" if split else "one_host",
        "run_id": run_id,
        "run_state": run["state"] if how == "ended" else f"{how}, then {run['state']}",
        "wall_s": round(wall, 2),
        "per_job_ms": round(wall / dag.jobs * 1000, 1),
        **lease_figures(database, run_id),
        # Split, the run's branch is the remote's; on one host it never leaves clone A.
        "job_commits": crosshost_git.commits_on_branch(a.remote if split else a.clone, run_id),
        "artifacts_in_host_a_checkout": published(a.clone, run["artifact_root"], run_id),
    }


def published(checkout: Path, artifact_root: str, run_id: str) -> int:
    """How many of the run's jobs have an artifact in `checkout` (.../<job>/attempt-<n>/)."""
    found = (checkout / artifact_root).rglob("attempt-*/*")
    return len({path.parts[-3] for path in found if run_id in path.parts})


def lease_figures(database: db.Database, run_id: str) -> dict[str, Any]:
    """Per host: leases, those completed and failed, how long one was held; and how long
    after the first host's first lease the second host took its first."""
    with db.connect_admin(database, autocommit=True) as conn:
        rows = db.fetch_all(conn, LEASES, {"run": run_id})
        reasons = db.fetch_all(conn, FAILURES, {"run": run_id})
    figures: dict[str, Any] = {
        "hosts": {
            str(row["host"]): {
                "leases": int(row["leases"]),
                "completed": int(row["completed"]),
                "failed": int(row["failed"]),
                "lease_held_ms": round(float(row["held_s"] or 0) * 1000, 1),
            }
            for row in rows
        }
    }
    # Why attempts failed, most frequent first (the first 200 characters of each reason).
    figures["failure_reasons"] = {str(r["reason"]): int(r["times"]) for r in reasons}
    if len(rows) == 2:
        gap = (rows[1]["first_at"] - rows[0]["first_at"]).total_seconds()
        figures["second_host_first_lease_after_s"] = round(gap, 2)
    return figures


def summary(cases: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """One way's runs: their figures per job, and the median."""
    ours = [case for case in cases if case["case"] == name]
    per_job = [case["per_job_ms"] for case in ours]
    return {
        "per_job_ms": per_job,
        "median_per_job_ms": round(statistics.median(per_job), 1),
        "median_wall_s": round(statistics.median(case["wall_s"] for case in ours), 2),
        "runs": len(ours),
        "succeeded": sum(case["run_state"] == "succeeded" for case in ours),
        "failed_attempts": sum(h["failed"] for case in ours for h in case["hosts"].values()),
    }


def measure(
    database: db.Database,
    root: Path,
    *,
    jobs: int = 200,
    repeat: int = 1,
    parallel: int = 1,
    attempts: int = 3,
    git_calls: int = 50,
) -> dict[str, Any]:
    """Both ways `repeat` times on `database` (one host first each time), their hosts and
    clones under `root`; then the git costs per call."""
    load_before = os.getloadavg()
    root.mkdir(parents=True, exist_ok=True)
    dag = Dag(jobs=jobs, parallel=parallel, attempts=attempts)
    cases: list[dict[str, Any]] = []
    children = Children()
    try:
        with two_hosts(root, database.admin_conninfo) as pair:
            for n in range(repeat):
                for way in ("one-host", "split"):
                    cases.append(run_case(database, pair, children, root / f"{n}-{way}", dag))
    finally:
        children.end_all()
    one, split = summary(cases, "one_host"), summary(cases, "split")
    return {
        "benchmark": "crosshost",
        "jobs": jobs,
        "repeat": repeat,
        "parallel_per_lane": parallel,
        "max_attempts": attempts,
        "one_host": one,
        "split": split,
        "ratio_split_to_one_host": round(split["median_per_job_ms"] / one["median_per_job_ms"], 2),
        "cases": cases,
        "git_per_call": crosshost_git.measure(root / "git", git_calls),
        "cpus": os.cpu_count(),
        "load_average_1min": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each way")
    parser.add_argument("--parallel", type=int, default=1, help="jobs at once per lane")
    parser.add_argument("--max-attempts", type=int, default=3, help="per job (1-20)")
    parser.add_argument("--git-calls", type=int, default=50, help="calls per git figure")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _interrupted)
    with migrated_cluster() as (database, base):
        report = measure(
            database,
            base / "crosshost",
            jobs=args.jobs,
            repeat=args.repeat,
            parallel=args.parallel,
            attempts=args.max_attempts,
            git_calls=args.git_calls,
        )
    print(json.dumps(report, indent=2))


def _interrupted(signum: int, frame: object) -> None:
    """SIGTERM (`timeout`, say) as an exit, so the daemons and workers are stopped."""
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    main()

"""Scale benchmark: per-job orchestration cost at 200, 1,000 and 5,000 jobs, wide and deep.

Each case (size x shape x mode) is a fresh run on the same daemon. Shapes are
bench.scratch.SHAPES: `wide` (each job releases up to 50) and `deep` (chains of 100). Modes:

- operator: a scripted operator in this process claims and completes every job over RPC (no
  CLI start-up, no files), each completion claiming the next job (`complete --then-claim`,
  one request per job); overhead per job = (run.start + the drive) / jobs.
- supervised: the run started (`run start --no-supervise`, outside the figures), then
  `striatum supervise` runs an instant shell agent per job (it writes its output file and
  exits) on a lane with default settings (one job at a time). Overhead per job = steady time
  / jobs - the agent's own time, where steady time runs from the supervisor's registration (or
  its first lease) to the run's end, by the daemon's clock: the supervisor's start-up and exit
  are a fixed cost, reported apart (`startup_and_exit_s`; `wall_per_job_ms` keeps them). The
  agent's own time is what `sh -c ...` costs beyond spawning `true`, measured alone: the
  spawn itself is orchestration, and part of the floor.

Before the cases, one unmeasured operator run (`warmup`, reported apart: see _warm_up) pays
a fresh daemon's one-time costs, so that the first case is not charged for them.

Every case reports statements and transactions per job: the daemon's own counters (`work` in
`daemon.status`: statements run and outermost transactions committed through its store
boundary) and PostgreSQL's committed transactions in the database (pg_stat_database, which also
counts statements run outside a transaction block, such as the pool's check of a connection
before lending it, and whatever else touched the database meanwhile). Beside them: the floor
(bench.floor, one spawn of `true` plus one small commit, in the same run), each case's ratio to
it, growth from the smallest size to the largest (bench.scale_summary) and the goals.

Usage: python -m bench.scale [--sizes 200,1000] [--shapes wide,deep] [--modes operator,supervised]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import floor, scale_summary
from bench.run import Counter, drive
from bench.scratch import SHAPES, daemon_home, git_repo, started_run, supervise

SIZES = (200, 1000, 5000)
MODES = ("operator", "supervised")
AGENT = ["sh", "-c", 'echo done > "$STRIATUM_OUTPUT"']
STATS_FLUSH_S = 1.2  # an idle backend reports its counts to pg_stat_database within a second
STEADY_FROM = ("run.supervisor_registered", "job.leased")
WARMUP_JOBS = 200


def measure(
    base: Path,
    sizes: Sequence[int] = SIZES,
    shapes: Sequence[str] = tuple(SHAPES),
    modes: Sequence[str] = MODES,
    *,
    floor_samples: int = 200,
    warmup_jobs: int = WARMUP_JOBS,
) -> dict[str, Any]:
    """Every case against the daemon this process points at, each run in its own folder of
    `base`, with the floor and the agent's own cost measured in the same go."""
    load_before = os.getloadavg()
    agent = agent_cost(base, samples=max(floor_samples // 2, 1))
    warmup = _warm_up(base, warmup_jobs)
    cases = []
    for mode in modes:
        for shape in shapes:
            for jobs in sizes:
                folder = base / f"{mode}-{shape}-{jobs}"
                folder.mkdir()
                if mode == "operator":
                    cases.append(operator_case(folder, shape, jobs))
                else:
                    cases.append(supervised_case(folder, shape, jobs, agent["own_ms"]))
    floor_figures = floor.measure(floor_samples)
    for case in cases:
        case["ratio_to_floor"] = round(case["overhead_per_job_ms"] / floor_figures["floor_ms"], 2)
    grown = scale_summary.growth(cases)
    return {
        "benchmark": "scale",
        # Other work on the machine slows every figure (the floor too): the 1-minute load.
        "load_average": {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)},
        "floor": floor_figures,
        "agent": agent,
        "warmup": warmup,
        "cases": cases,
        "growth": grown,
        "goals": scale_summary.goals(cases, grown),
    }


def _warm_up(base: Path, jobs: int) -> dict[str, Any]:
    """One operator run of `jobs` wide, reported apart and left out of the figures and goals.

    A fresh daemon's first run pays once for what later runs reuse: each pooled connection's
    first uses of a statement (psycopg prepares it from its sixth), a new backend's catalog
    caches, the verbs' first imports. Measured on this machine, the first 200-job wide run of a
    fresh daemon drove at 4.80 ms a job and the next five at 4.30-4.43, so without a warm-up
    that fixed cost is charged to whichever case comes first (the 200-job one, always).
    """
    folder = base / "warmup"
    folder.mkdir()
    return operator_case(folder, "wide", jobs)


def operator_case(folder: Path, shape: str, jobs: int) -> dict[str, Any]:
    """A scripted operator claims and completes every job of a fresh run over RPC."""
    workflow = folder / "workflow.json"
    workflow.write_text(
        json.dumps(SHAPES[shape](jobs, {"provider": "command", "command": ["true"]}))
    )
    call = TimedCalls()
    repo = git_repo(folder)
    call("adopt", repo=str(repo))
    run_id = call("run.prepare", workflow=str(workflow), repo=str(repo))["run_id"]
    session = call("register-session", role="operator")["session_id"]
    before = work_snapshot()
    calls = call.calls
    started = time.perf_counter()
    call("run.start", run_id=run_id, no_supervise=True)
    done = drive(call, run_id, session)
    elapsed = time.perf_counter() - started
    verbs = call.calls - calls
    verb_ms = call.mean_ms(("run.start", "claim-next", "complete"))
    work = work_snapshot().minus(before)
    state = call("status", run_id=run_id)["run"]["state"]
    return {
        "mode": "operator",
        "shape": shape,
        "jobs": jobs,
        "completed": done,
        "run_state": state,
        "wall_s": round(elapsed, 2),
        "overhead_per_job_ms": round(elapsed / jobs * 1000, 2),
        "verbs_per_job": round(verbs / jobs, 2),
        "verb_mean_ms": verb_ms,
        **work.per_job(jobs),
    }


class TimedCalls(Counter):
    """bench.run's verb caller, timing each verb's round trips (where the cost goes)."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: dict[str, list[float]] = {}

    def __call__(self, method: str, **params: Any) -> Any:
        started = time.perf_counter()
        try:
            return super().__call__(method, **params)
        finally:
            self.seconds.setdefault(method, []).append(time.perf_counter() - started)

    def mean_ms(self, methods: Sequence[str]) -> dict[str, float]:
        return {m: round(statistics.fmean(self.seconds[m]) * 1000, 2) for m in methods}


def supervised_case(folder: Path, shape: str, jobs: int, agent_ms: float) -> dict[str, Any]:
    """`striatum supervise` runs a fresh run of instant shell agents to its end."""
    from striatum.client import rpc

    repo = git_repo(folder)
    # Orchestration's own cost: a sandbox brings its own budget (bench.sandbox, issue 22), so
    # it must not eat this one silently.
    lane = {"provider": "command", "command": AGENT, "sandbox": "none"}
    run_id = started_run(
        repo, folder / "workflow.json", SHAPES[shape](jobs, lane, with_outputs=True)
    )
    before = work_snapshot()
    started = time.perf_counter()
    supervise(repo, run_id)
    wall = time.perf_counter() - started
    work = work_snapshot().minus(before)
    status = rpc.call("status", {"run_id": run_id})
    ended = datetime.fromisoformat(status["run"]["ended_at"])
    steady = (ended - steady_start(run_id)).total_seconds()
    return {
        "mode": "supervised",
        "shape": shape,
        "jobs": jobs,
        "completed": sum(job["state"] == "succeeded" for job in status["jobs"]),
        "run_state": status["run"]["state"],
        "wall_s": round(wall, 2),
        "steady_s": round(steady, 2),
        "startup_and_exit_s": round(wall - steady, 2),
        "wall_per_job_ms": round(wall / jobs * 1000, 2),
        "overhead_per_job_ms": round(steady / jobs * 1000 - agent_ms, 2),
        **work.per_job(jobs),
    }


def steady_start(run_id: str) -> datetime:
    """When the supervisor began to work the run: its registration or first lease, whichever
    the run's events show first."""
    from striatum.client import rpc

    after = 0
    while True:
        page = rpc.call("events.wait", {"run_id": run_id, "after_seq": after, "timeout_s": 1})
        for event in page["events"]:
            if event["type"] in STEADY_FROM:
                return datetime.fromisoformat(event["at"])
        if not page["events"]:
            raise RuntimeError(f"no event of {STEADY_FROM} in run {run_id}")
        after = page["last_seq"]


def agent_cost(base: Path, *, samples: int) -> dict[str, Any]:
    """The instant agent's own cost: spawning it, and what that costs beyond spawning `true`."""
    output = base / "agent-output.txt"
    env = {**os.environ, "STRIATUM_OUTPUT": str(output)}
    agent_s = statistics.median(_spawn(AGENT, env) for _ in range(samples))
    true_s = statistics.median(_spawn(["true"], env) for _ in range(samples))
    return {
        "command": AGENT,
        "spawn_ms": round(agent_s * 1000, 3),
        "own_ms": round(max(agent_s - true_s, 0.0) * 1000, 3),
    }


def _spawn(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True)
    return time.perf_counter() - started


class Work:
    """Statements and transactions: the daemon's counters and PostgreSQL's commit count."""

    def __init__(self, statements: int, transactions: int, server_commits: int) -> None:
        self.statements = statements
        self.transactions = transactions
        self.server_commits = server_commits

    def minus(self, before: Work) -> Work:
        return Work(
            self.statements - before.statements,
            self.transactions - before.transactions,
            self.server_commits - before.server_commits,
        )

    def per_job(self, jobs: int) -> dict[str, float]:
        return {
            "statements_per_job": round(self.statements / jobs, 2),
            "transactions_per_job": round(self.transactions / jobs, 2),
            "server_commits_per_job": round(self.server_commits / jobs, 2),
        }


def work_snapshot() -> Work:
    """The daemon's counters now, and the database's commit count once every idle backend
    has reported it. A snapshot's own `daemon.status` request is in the next difference:
    one request among the hundreds of a drive."""
    from striatum.client import rpc
    from striatum.daemon import substrate
    from striatum.store import connection as db

    time.sleep(STATS_FLUSH_S)
    counters = rpc.call("daemon.status", {})["work"]
    with substrate.database() as database:
        conn = db.connect_runtime(database, autocommit=True)
        try:
            row = conn.execute(
                "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
            ).fetchone()
        finally:
            conn.close()
    assert row is not None
    return Work(counters["statements"], counters["transactions"], int(row["xact_commit"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--floor-samples", type=int, default=200)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    with daemon_home("scale") as base:
        report = measure(
            base,
            sizes,
            args.shapes.split(","),
            args.modes.split(","),
            floor_samples=args.floor_samples,
        )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

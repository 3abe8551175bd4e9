"""Run-engine benchmark: a scripted operator drives a 200-job DAG (fan-out 8) through the verbs.

Prints one JSON report: verbs per job, orchestration overhead per job (wall time / jobs), and
its ratio to one event-append transaction measured in the same run on the same database.
The operator calls verbs over the socket from this process (no CLI start-up), and writes no
artifact files (the jobs declare none), so the figure is the engine's own cost.

Usage: python -m bench.run [--jobs 200] [--fanout 8]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.scratch import SCRATCH_DIR, daemon_home, git_repo, tree_dag


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, method: str, **params: Any) -> Any:
        from striatum.client import rpc

        self.calls += 1
        return rpc.call(method, params, keep=True)  # as a long-lived operator would


def drive(call: Counter, run_id: str, session: str) -> int:
    """Claim and complete every job of the run: one request per job in steady state, as each
    completion claims the next job (`complete --then-claim`). A lone operator with nothing
    claimed next is done: no other lease can make anything ready."""
    done = 0
    packet = call("claim-next", session=session, run_id=run_id)
    while packet["claimed"]:
        packet = call("complete", lease=packet["lease"]["lease_id"], then_claim=True)["next"]
        done += 1
    return done


def append_transaction_seconds(samples: int = 200) -> float:
    """The median time of one event append in its own transaction, on the same database."""
    from striatum.daemon import substrate
    from striatum.store import chains, repositories
    from striatum.store import connection as db

    timings = []
    with substrate.database() as database:
        conn = db.connect_runtime(database, autocommit=True)
        db.in_transaction(
            conn, lambda c: repositories.insert(c, repo_id="bench", path="/bench", name="bench")
        )
        for _ in range(samples):
            started = time.perf_counter()
            db.in_transaction(
                conn,
                lambda c: chains.append_event(
                    c, repo_id="bench", type="bench", actor="bench", payload={}
                ),
            )
            timings.append(time.perf_counter() - started)
        conn.close()
    timings.sort()
    return timings[len(timings) // 2]


def measure(jobs: int = 200, fanout: int = 8) -> dict[str, Any]:
    """Drive one run of `jobs` jobs against the daemon this process points at."""
    base = Path(tempfile.mkdtemp(prefix="striatum-bench-run-", dir=SCRATCH_DIR))
    repo = git_repo(base)
    workflow = base / "workflow.json"
    workflow.write_text(
        json.dumps(
            tree_dag(
                jobs, fanout, {"provider": "command", "command": ["true"], "max_concurrency": 64}
            )
        )
    )
    call = Counter()
    call("adopt", repo=str(repo))
    run_id = call("run.prepare", workflow=str(workflow), repo=str(repo))["run_id"]
    session = call("register-session", role="operator")["session_id"]
    setup_calls = call.calls
    started = time.perf_counter()
    call("run.start", run_id=run_id, no_supervise=True)
    done = drive(call, run_id, session)
    elapsed = time.perf_counter() - started
    state = call("status", run_id=run_id)["run"]["state"]
    verbs = call.calls - setup_calls - 1  # the final status is not part of the drive
    append_s = append_transaction_seconds()
    shutil.rmtree(base, ignore_errors=True)
    per_job = elapsed / max(done, 1)
    return {
        "benchmark": "run",
        "jobs": jobs,
        "fanout": fanout,
        "completed": done,
        "run_state": state,
        "verbs_per_job": round(verbs / max(done, 1), 2),
        "wall_s": round(elapsed, 2),
        "overhead_per_job_ms": round(per_job * 1000, 2),
        "event_append_transaction_ms": round(append_s * 1000, 3),
        "overhead_ratio_to_append": round(per_job / append_s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--fanout", type=int, default=8)
    args = parser.parse_args()
    with daemon_home("run"):
        print(json.dumps(measure(args.jobs, args.fanout), indent=2))


if __name__ == "__main__":
    main()

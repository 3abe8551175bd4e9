"""Live-view benchmark: how fast a waiting `events.wait` hears of a commit, whether waiting
requests starve other verbs, and what laying out a 200-job graph costs.

Prints one JSON report: the wake latency (from the writing verb's answer to the waiter's
answer; negative when the waiter answers first, since NOTIFY fires at commit), the latency of
`status` while 32 long polls wait (the daemon has four workers), and the layout time.

Usage: python -m bench.live [--rounds 100]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from bench.scratch import daemon_home, git_repo, tree_dag


def call(method: str, **params: Any) -> Any:
    from striatum.client import rpc

    return rpc.call(method, params)


def wake_latencies(run_id: str, rounds: int) -> list[float]:
    cursor = call("events.wait", run_id=run_id, after_seq=0, timeout_s=1)["last_seq"]
    found = []
    for index in range(rounds):
        woke: list[float] = []
        waiter = threading.Thread(target=_wait_once, args=(run_id, cursor, woke))
        waiter.start()
        time.sleep(0.02)  # let it subscribe and start waiting
        answer = call("run.pause" if index % 2 == 0 else "run.resume", run_id=run_id)
        written = time.perf_counter()
        waiter.join()
        found.append(woke[0] - written)
        cursor = call("events.wait", run_id=run_id, after_seq=cursor, timeout_s=1)["last_seq"]
        assert answer["run_id"] == run_id
    return found


def _wait_once(run_id: str, after: int, woke: list[float]) -> None:
    call("events.wait", run_id=run_id, after_seq=after, timeout_s=10)
    woke.append(time.perf_counter())


def _wait_quietly(run_id: str, after: int) -> None:
    """One long poll of many from this token: when they all answer at once, those past the
    token's cap of requests in flight are refused `busy`, which is the daemon's bound doing
    its job; the bench only needs them waiting while it asks for `status`."""
    from striatum import errors

    with contextlib.suppress(errors.Busy):
        call("events.wait", run_id=run_id, after_seq=after, timeout_s=3)


def status_while_waiting(run_id: str, waiters: int = 32) -> float:
    cursor = call("events.wait", run_id=run_id, after_seq=0, timeout_s=1)["last_seq"]
    threads = [
        threading.Thread(target=_wait_quietly, args=(run_id, cursor)) for _ in range(waiters)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    started = time.perf_counter()
    call("status", run_id=run_id)
    took = time.perf_counter() - started
    for thread in threads:
        thread.join()
    return took


def layout_seconds(jobs: int = 200) -> float:
    from striatum.web import graph_layout

    spec = tree_dag(jobs, 4, {})["jobs"]
    nodes = [job["id"] for job in spec]
    edges = [(parent, job["id"]) for job in spec for parent in job["depends_on"]]
    started = time.perf_counter()
    graph_layout.layout(nodes, edges)
    return time.perf_counter() - started


def measure(base: Path, rounds: int = 100) -> dict[str, Any]:
    """Against the daemon this process points at: a one-job run, paused and resumed."""
    repo = git_repo(base)
    workflow = base / "workflow.json"
    workflow.write_text(json.dumps(tree_dag(1, 1, {"provider": "command", "command": ["true"]})))
    call("adopt", repo=str(repo))
    run_id = call("run.prepare", workflow=str(workflow), repo=str(repo))["run_id"]
    call("run.start", run_id=run_id, no_supervise=True)  # the bench drives it; no supervisor
    wakes = sorted(wake_latencies(run_id, rounds))
    status_s = status_while_waiting(run_id)
    call("run.cancel", run_id=run_id)
    return {
        "benchmark": "live",
        "rounds": rounds,
        "wake_after_commit_ms": {
            "p50": round(statistics.median(wakes) * 1000, 2),
            "p99": round(wakes[max(int(len(wakes) * 0.99) - 1, 0)] * 1000, 2),
            "max": round(wakes[-1] * 1000, 2),
        },
        "status_ms_with_32_waiting": round(status_s * 1000, 2),
        "layout_200_jobs_ms": round(layout_seconds() * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    with daemon_home("live") as base:
        print(json.dumps(measure(base, args.rounds), indent=2))


if __name__ == "__main__":
    main()

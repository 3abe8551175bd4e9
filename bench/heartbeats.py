"""Lease load: 50 lanes each heartbeating its lease every second for 2 minutes.

Each lane holds one lease (TTL 5 s) and heartbeats it once a second over its own socket
round trip, while the daemon's sweep runs as usual. Reports the heartbeats sent, failures,
leases lost without cause (must be 0), and heartbeat latency percentiles.

Usage: python -m bench.heartbeats [--lanes 50] [--seconds 120]
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from bench.scratch import daemon_home, git_repo

TTL_S = 5


def call(method: str, token: str | None = None, **params: Any) -> Any:
    from striatum.client import rpc

    return rpc.call(method, params, token=token)


def hold_leases(base: Path, lanes: int) -> tuple[str, list[tuple[str, str]]]:
    """A run with `lanes` leased jobs: (its id, each lease with the lane token it gave)."""
    repo = git_repo(base)
    workflow = base / "workflow.json"
    workflow.write_text(
        json.dumps(
            {
                "schema_version": "striatum.workflow.v1",
                "id": "lease-load",
                "name": "Lease load",
                "lanes": {
                    "work": {"provider": "command", "command": ["true"], "max_concurrency": lanes}
                },
                "jobs": [{"id": f"j{n:03d}", "kind": "task", "lane": "work"} for n in range(lanes)],
            }
        )
    )
    call("adopt", repo=str(repo))
    run_id = call("run.prepare", workflow=str(workflow), repo=str(repo))["run_id"]
    call("run.start", run_id=run_id, no_supervise=True)  # the bench drives it; no supervisor
    leases = []
    for _ in range(lanes):
        session = call("register-session", role="operator")["session_id"]
        packet = call("claim-next", session=session, run_id=run_id, ttl_s=TTL_S)
        leases.append((packet["lease"]["lease_id"], packet["token"]))
    return run_id, leases


class Lane(threading.Thread):
    """An agent heartbeating its lease with its own lane token, as a lane does (one token
    for all fifty would meet the daemon's cap on one token's requests in flight)."""

    def __init__(self, lease: tuple[str, str], until: float, interval: float) -> None:
        super().__init__(daemon=True)
        (self.lease, self.token), self.until, self.interval = lease, until, interval
        self.latencies: list[float] = []
        self.failures: list[str] = []

    def run(self) -> None:
        next_beat = time.monotonic()
        while next_beat < self.until:
            started = time.perf_counter()
            try:
                call("heartbeat", token=self.token, lease=self.lease, ttl_s=TTL_S)
                self.latencies.append(time.perf_counter() - started)
            except Exception as error:
                self.failures.append(f"{type(error).__name__}: {error}")
            next_beat += self.interval
            time.sleep(max(0.0, next_beat - time.monotonic()))


def measure(
    base: Path,
    lanes: int = 50,
    seconds: float = 120,
    interval: float = 1.0,
) -> dict[str, Any]:
    run_id, leases = hold_leases(base, lanes)
    until = time.monotonic() + seconds
    threads = [Lane(lease, until, interval) for lease in leases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    live = {lease["lease_id"] for lease in call("status", run_id=run_id)["leases"]}
    lost = [lease for lease, _ in leases if lease not in live]
    for lease, _ in leases:
        if lease in live:
            call("complete", lease=lease)
    latencies = sorted(x for t in threads for x in t.latencies)
    failures = [f for t in threads for f in t.failures]
    return {
        "benchmark": "heartbeats",
        "lanes": lanes,
        "seconds": seconds,
        "ttl_s": TTL_S,
        "heartbeats": len(latencies),
        "failures": len(failures),
        "first_failure": failures[0] if failures else None,
        "leases_lost": len(lost),
        "latency_ms": {
            "p50": round(statistics.median(latencies) * 1000, 2),
            "p99": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
            "max": round(latencies[-1] * 1000, 2),
        }
        if latencies
        else None,
        "run_state": call("status", run_id=run_id)["run"]["state"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lanes", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120)
    args = parser.parse_args()
    with daemon_home("heartbeats") as base:
        print(json.dumps(measure(base, args.lanes, args.seconds), indent=2))


if __name__ == "__main__":
    main()

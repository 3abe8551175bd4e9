"""`make bench`: every benchmark in one go, one JSON report.

Runs, against one daemon and its embedded PostgreSQL: CLI start-up and verb round trips
(bench.cli), an MCP tool call against the same verb over RPC (bench.mcp), per-job cost at
200, 1,000 and 5,000 jobs, wide and deep, operator-driven and supervised, beside the floor
and the goals (bench.scale: is it near the floor, does it stay flat?) with what a file
operation costs where its repositories live (bench.scratch_fs), what launching an
agent costs each way (bench.spawn), what a lane sandbox adds per job (bench.sandbox), 50 lanes
heartbeating for 2 minutes (bench.heartbeats), live
views (bench.live: how fast a long poll hears of a commit), the daemon's RSS after that load,
a reader's verify flood and a flood of unterminated frames (bench.starvation), corpus export
and verification (bench.corpus), requests/s from 1, 2 and 4 daemons on the one database, all
appending to its one audit head (bench.hosts), what a run pays per job when half its jobs run
on a second host's worker, with what fetching and pushing its branch cost per call
(bench.crosshost) and, last because it loads a million events, on a fresh cluster with no
daemon (whose anchorer would verify those events while they are timed), the chain
(bench.chain) and what automatic anchoring costs appends (bench.anchoring). Writes
bench/report.json and prints it.

Usage: python -m bench.report [--quick] [--out bench/report.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from bench import (
    anchoring,
    chain,
    cli,
    corpus,
    crosshost,
    heartbeats,
    hosts,
    live,
    mcp,
    sandbox,
    scale,
    scratch_fs,
    spawn,
    starvation,
)
from bench.scratch import daemon_home, migrated_cluster
from striatum import paths

ROOT = Path(__file__).parents[1]
FULL = {
    "cli_runs": 30,
    "scale_jobs": (200, 1000, 5000),
    "spawn_samples": 300,
    "sandbox_jobs": 100,
    "heartbeat_lanes": 50,
    "heartbeat_s": 120.0,
    "corpus_events": 50_000,
    "chain_events": [100_000, 1_000_000],
    "append_s": 3.0,
    "live_rounds": 100,
    "mcp_calls": 200,
    "verify_flood": 500,
    "frame_flood": 1500,
    "hosts_daemons": [1, 2, 4],
    "hosts_clients": 4,
    "hosts_s": 5.0,
    "crosshost_jobs": 200,
    "crosshost_repeat": 1,
    "crosshost_git_calls": 50,
}
QUICK = {
    "cli_runs": 5,
    "scale_jobs": (50, 200),
    "spawn_samples": 30,
    "sandbox_jobs": 20,
    "heartbeat_lanes": 10,
    "heartbeat_s": 5.0,
    "corpus_events": 2_000,
    "chain_events": [10_000],
    "append_s": 0.5,
    "live_rounds": 20,
    "mcp_calls": 20,
    "verify_flood": 50,
    "frame_flood": 100,
    "hosts_daemons": [1, 2],
    "hosts_clients": 2,
    "hosts_s": 1.0,
    "crosshost_jobs": 40,
    "crosshost_repeat": 1,
    "crosshost_git_calls": 10,
}


def collect(sizes: dict[str, Any]) -> dict[str, Any]:
    report: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}
    }
    with daemon_home("report") as base:
        report["cli"] = cli.measure(sizes["cli_runs"])
        report["mcp"] = mcp.measure(sizes["mcp_calls"])
        report["scratch_fs"] = scratch_fs.measure()
        report["scale"] = scale.measure(_fresh(base, "scale"), sizes["scale_jobs"])
        report["spawn"] = spawn.measure(sizes["spawn_samples"])
        report["sandbox"] = sandbox.measure(_fresh(base, "sandbox"), sizes["sandbox_jobs"], 3)
        report["heartbeats"] = heartbeats.measure(
            _fresh(base, "heartbeats"), sizes["heartbeat_lanes"], sizes["heartbeat_s"]
        )
        report["live"] = live.measure(_fresh(base, "live"), sizes["live_rounds"])
        report["daemon_rss_mb_after_load"] = round(cli.rss_mb(cli.daemon_pid()), 1)
        report["starvation"] = starvation.measure(
            _fresh(base, "starvation"), sizes["verify_flood"], sizes["frame_flood"]
        )
        report["corpus"] = corpus.measure(base, sizes["corpus_events"])
        from striatum.daemon.embedded import EmbeddedCluster

        database = EmbeddedCluster(root=paths.cluster_dir()).database()
        report["hosts"] = hosts.measure(
            database,
            _fresh(base, "hosts"),
            sizes["hosts_daemons"],
            sizes["hosts_clients"],
            sizes["hosts_s"],
        )
        report["crosshost"] = crosshost.measure(
            database,
            _fresh(base, "crosshost"),
            jobs=sizes["crosshost_jobs"],
            repeat=sizes["crosshost_repeat"],
            git_calls=sizes["crosshost_git_calls"],
        )
    # Last, on a cluster of their own with no daemon beside them: a daemon's anchorer verifies
    # every chain that grows, so it walked the million events loaded here while they were timed.
    with migrated_cluster() as (database, base):
        report["chain"] = chain.measure(database, sizes["chain_events"], sizes["append_s"])
        report["anchoring"] = anchoring.measure(
            database, _fresh(base, "anchors"), sizes["append_s"], rounds=3
        )
    return report


def _fresh(base: Path, name: str) -> Path:
    folder = base / name
    folder.mkdir()
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="Small sizes: a smoke test.")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "report.json")
    args = parser.parse_args()
    started = time.perf_counter()
    report = collect(QUICK if args.quick else FULL)
    report["total_s"] = round(time.perf_counter() - started, 1)
    text = json.dumps(report, indent=2) + "\n"
    args.out.write_text(text)
    print(text, end="")


if __name__ == "__main__":
    main()

"""The physical floor of one job: one spawn of `true` plus one small committed transaction.

Whatever runs a job must at least start a process and record, durably, that it ran; nothing
can do it for less. Both are measured here in pairs, in the same run as what they are compared
with: `true` spawned by `subprocess` (no preexec_fn, so CPython may use vfork) and waited for,
then one event appended in its own transaction on the daemon's database (the runtime role,
from this process). The floor is the median pair; each part's median is reported beside it.

Usage: python -m bench.floor [--samples 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import time
from typing import Any

from bench.scratch import daemon_home


def measure(samples: int = 200) -> dict[str, Any]:
    """The floor against the daemon this process points at (its database must be up)."""
    from striatum.daemon import substrate
    from striatum.store import chains, repositories
    from striatum.store import connection as db

    spawns, commits, pairs = [], [], []
    with substrate.database() as database:
        conn = db.connect_runtime(database, autocommit=True)
        try:
            db.in_transaction(
                conn,
                lambda c: repositories.insert(c, repo_id="floor", path="/floor", name="floor"),
            )
            for _ in range(samples):
                started = time.perf_counter()
                subprocess.run(["true"], check=True)
                spawned = time.perf_counter()
                db.in_transaction(
                    conn,
                    lambda c: chains.append_event(
                        c, repo_id="floor", type="bench.floor", actor="bench", payload={}
                    ),
                )
                committed = time.perf_counter()
                spawns.append(spawned - started)
                commits.append(committed - spawned)
                pairs.append(committed - started)
        finally:
            conn.close()
    return {
        "samples": samples,
        "spawn_true_ms": _ms(statistics.median(spawns)),
        "commit_ms": _ms(statistics.median(commits)),
        "floor_ms": _ms(statistics.median(pairs)),
    }


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    with daemon_home("floor"):
        print(json.dumps(measure(args.samples), indent=2))


if __name__ == "__main__":
    main()

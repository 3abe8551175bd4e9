"""Automatic anchoring's cost: event appends per second with and without the daemon's anchorer.

Four connections append events (each to its own repository chain) while the anchorer ticks in
a thread on its own connection, as it does in the daemon; rounds alternate off and on so that
drift hits both alike. Reported per cadence: appends/s without and with anchoring, their
ratio (the goal: at least 0.95), the anchor lines written, the anchors file's size, and the
mean time of a tick that anchored (verifying the rows added since the last anchor included).

Usage: python -m bench.anchoring [--seconds 3] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from bench.chain import append_op, rate
from bench.scratch import instance, migrated_cluster
from striatum import paths
from striatum.integrity import anchor_file, anchoring
from striatum.store import connection as db
from striatum.store import repositories

WORKERS = 4
CADENCES = {
    "default": anchoring.Cadence(),
    "every_0.2s_or_100_events": anchoring.Cadence(every_events=100, every_s=0.2),
}


class Ticking:
    """The daemon's anchoring loop, in a thread."""

    def __init__(self, database: db.Database, cadence: anchoring.Cadence) -> None:
        self.anchorer = anchoring.Anchorer(database.label, cadence)
        self.conn = db.connect_runtime(database, autocommit=True)
        self.stop = threading.Event()
        self.anchoring_ticks: list[float] = []
        self.thread = threading.Thread(target=self._loop)

    def _loop(self) -> None:
        while not self.stop.wait(self.anchorer.cadence.tick_s):
            started = time.perf_counter()
            if self.anchorer.tick(self.conn):
                self.anchoring_ticks.append(time.perf_counter() - started)

    def __enter__(self) -> Ticking:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()
        self.conn.close()


def measure(database: db.Database, home: Path, seconds: float, rounds: int) -> dict[str, Any]:
    """Against `database`, with the anchors file in `home` (the instance meanwhile, so the
    anchorer never writes into another's)."""
    with instance(home):
        return _measure(database, seconds, rounds)


def _measure(database: db.Database, seconds: float, rounds: int) -> dict[str, Any]:
    runtime = db.connect_runtime(database, autocommit=True)
    for index in range(WORKERS):
        db.in_transaction(
            runtime,
            lambda c, r=f"anchoring{index}": repositories.insert(  # type: ignore[misc]
                c, repo_id=r, path=f"/bench/{r}", name=r
            ),
        )
    runtime.close()
    appends = append_op(database, shared=False, explicit_transaction=True, prefix="anchoring")
    report: dict[str, Any] = {"benchmark": "anchoring", "workers": WORKERS}
    for name, cadence in CADENCES.items():
        off, on, ticks = [], [], []
        for _ in range(rounds):
            off.append(rate(WORKERS, seconds, appends))
            with Ticking(database, cadence) as ticking:
                on.append(rate(WORKERS, seconds, appends))
            ticks += ticking.anchoring_ticks
        report[name] = {
            "every_events": cadence.every_events,
            "every_s": cadence.every_s,
            "appends_per_s_without": round(statistics.median(off)),
            "appends_per_s_with": round(statistics.median(on)),
            "ratio_with_to_without": round(statistics.median(on) / statistics.median(off), 3),
            "anchoring_ticks": len(ticks),
            "mean_anchoring_tick_ms": round(1000 * statistics.mean(ticks), 2) if ticks else None,
        }
    ledger = anchor_file.read(paths.anchors_file())
    report["anchor_lines"] = ledger.count
    report["anchors_file_bytes"] = ledger.size
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with migrated_cluster() as (database, base):
        home = base / "home"
        home.mkdir()
        print(json.dumps(measure(database, home, args.seconds, args.rounds), indent=2))


if __name__ == "__main__":
    main()

"""Corpus benchmark: export a repository of 50,000 events and verify it with both verifiers.

Prints one JSON report with the seconds of each step and events/s.
Usage: python -m bench.corpus [--events 50000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.chain import load_events
from bench.scratch import STRIATUM, daemon_home

ROOT = Path(__file__).parents[1]


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def measure(base: Path, events: int = 50_000) -> dict[str, Any]:
    """Export and verify a repository of `events` events in the running daemon's cluster."""
    from striatum import paths
    from striatum.daemon.embedded import EmbeddedCluster

    database = EmbeddedCluster(root=paths.cluster_dir()).database()
    load_events(database, "corpus", events)
    bundle = base / "bundle"
    export_s = timed(
        [
            STRIATUM,
            "--as",
            "principal",
            "corpus",
            "export",
            "--repo",
            "/bench/corpus",
            "--out",
            str(bundle),
        ]
    )
    verify_s = timed([STRIATUM, "corpus", "verify", str(bundle)])
    standalone_s = timed([sys.executable, str(ROOT / "scripts" / "verify_corpus.py"), str(bundle)])
    size_mb = sum(p.stat().st_size for p in bundle.iterdir()) / 1e6
    return {
        "benchmark": "corpus",
        "events": events,
        "bundle_mb": round(size_mb, 1),
        "export_s": round(export_s, 2),
        "verify_s": round(verify_s, 2),
        "standalone_verify_s": round(standalone_s, 2),
        "export_events_per_s": round(events / export_s),
        "verify_events_per_s": round(events / verify_s),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=50_000)
    args = parser.parse_args()
    with daemon_home("corpus") as base:
        print(json.dumps(measure(base, args.events), indent=2))


if __name__ == "__main__":
    main()

"""CLI and daemon benchmark: start-up cost, one verb's round trip, idle daemon memory.

Prints one JSON report. Medians of 30 runs each, and every figure also as a ratio to a bare
`python -c pass` measured in the same run: `--version` should stay within 3x of it, a verb
round trip (CLI start + socket + daemon transaction + audit row) within 5x, and the idle
daemon under 80 MB RSS.

Usage: python -m bench.cli [--runs 30]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.scratch import daemon_home
from striatum import paths

BIN = Path(sys.executable).parent


def median_seconds(argv: list[str], env: dict[str, str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
        )
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def daemon_pid() -> int:
    """The pid of the daemon this process points at."""
    return int(paths.pid_file().read_text())


def postgres_rss_mb() -> float:
    """Sum over the embedded cluster's processes (the postmaster and its children)."""
    pid_file = paths.cluster_dir() / "data" / "postmaster.pid"
    if not pid_file.exists():
        return 0.0
    root = int(pid_file.read_text().split()[0])
    children = subprocess.run(
        ["pgrep", "-P", str(root)], capture_output=True, text=True, check=False
    ).stdout.split()
    pids = [root, *(int(child) for child in children)]
    return float(sum(rss_mb(pid) for pid in pids))


def measure(runs: int = 30) -> dict[str, Any]:
    """Start-up and round-trip medians against the daemon this process points at."""
    striatum = str(BIN / "striatum")
    env = dict(os.environ)
    pid = daemon_pid()
    baseline = median_seconds([sys.executable, "-c", "pass"], env, runs)
    figures = {
        "version": median_seconds([striatum, "--version"], env, runs),
        "help": median_seconds([striatum, "--help"], env, runs),
        "read_verb_whoami": median_seconds([striatum, "whoami"], env, runs),
        "write_verb_token_create": median_seconds(
            [striatum, "--as", "principal", "token", "create", "--role", "reader"], env, runs
        ),
    }
    time.sleep(2)  # let the daemon settle before reading its idle memory
    return {
        "benchmark": "cli",
        "runs": runs,
        "python_c_pass_ms": round(baseline * 1000, 1),
        **{f"{name}_ms": round(value * 1000, 1) for name, value in figures.items()},
        **{f"{name}_ratio": round(value / baseline, 2) for name, value in figures.items()},
        "daemon_idle_rss_mb": round(rss_mb(pid), 1),
        "embedded_postgres_rss_mb": round(postgres_rss_mb(), 1),
        "targets": {"version_ratio": 3, "verb_ratio": 5, "daemon_idle_rss_mb": 80},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with daemon_home("cli"):
        print(json.dumps(measure(args.runs), indent=2))


if __name__ == "__main__":
    main()

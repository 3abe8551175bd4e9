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
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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


def postgres_rss_mb(home: Path) -> float:
    """Sum over the embedded cluster's processes (the postmaster and its children)."""
    pid_file = home / "postgres" / "data" / "postmaster.pid"
    if not pid_file.exists():
        return 0.0
    root = int(pid_file.read_text().split()[0])
    children = subprocess.run(
        ["pgrep", "-P", str(root)], capture_output=True, text=True, check=False
    ).stdout.split()
    pids = [root, *(int(child) for child in children)]
    return float(sum(rss_mb(pid) for pid in pids))


def measure(env: dict[str, str], home: Path, runs: int = 30) -> dict[str, Any]:
    """Start-up and round-trip medians against the daemon of `home`."""
    striatum = str(BIN / "striatum")
    pid = int((home / "run" / "striatumd.pid").read_text())
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
        "embedded_postgres_rss_mb": round(postgres_rss_mb(home), 1),
        "targets": {"version_ratio": 3, "verb_ratio": 5, "daemon_idle_rss_mb": 80},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="striatum-bench-cli-", dir="/tmp"))
    base.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("STRIATUM_")}
    env["STRIATUM_HOME"] = str(base / "home")
    striatum = str(BIN / "striatum")
    try:
        subprocess.run(
            [striatum, "daemon", "start"], env=env, check=True, stdout=subprocess.DEVNULL
        )
        print(json.dumps(measure(env, base / "home", args.runs), indent=2))
    finally:
        subprocess.run(
            [striatum, "daemon", "stop"], env=env, check=False, stdout=subprocess.DEVNULL
        )
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

"""CLI and daemon benchmark: start-up cost, one verb's round trip, idle daemon memory.

Prints one JSON report. Medians of 30 runs each (after one unmeasured run), and every figure
also as a ratio to a bare `python -c pass` measured in the same run: `--version` should stay
within 3x of it, a read verb's round trip (CLI start + socket + daemon transaction + audit
row: `whoami`, `status` of a 12-job run (its human view and its `--json`), `list runs`)
within 4x, a write verb's within 5x, and the idle daemon under 80 MB RSS.

Measured as an install runs it, from bytecode: PYTHONDONTWRITEBYTECODE is dropped for the
measured commands, so the unmeasured first run caches what a `pip install` would have compiled
(with it set, an editable install would compile every module of ours on every call).

Usage: python -m bench.cli [--runs 30]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.scratch import SCRATCH_DIR, cli, daemon_home, git_repo, tree_dag
from striatum import paths

BIN = Path(sys.executable).parent


def medians(commands: dict[str, list[str]], env: dict[str, str], runs: int) -> dict[str, float]:
    """Each command's median wall time in seconds. The commands take turns, one run each per
    round, so a change in the machine's load weighs on all of them alike (the ratios hold)."""
    for argv in commands.values():  # unmeasured: caches bytecode, warms the page cache
        _run(argv, env)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            started = time.perf_counter()
            _run(argv, env)
            samples[name].append(time.perf_counter() - started)
    return {name: statistics.median(times) for name, times in samples.items()}


def _run(argv: list[str], env: dict[str, str]) -> None:
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)


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


@contextlib.contextmanager
def prepared_run() -> Iterator[str]:
    """A prepared 12-job run (in an adopted scratch repository) for the read verbs to show;
    cancelled and its repository removed afterwards, so the daemon is left as found."""
    base = Path(tempfile.mkdtemp(prefix="striatum-bench-cli-run-", dir=SCRATCH_DIR))
    repo = git_repo(base)
    workflow = base / "workflow.json"
    workflow.write_text(json.dumps(tree_dag(12, 3, {"provider": "command", "command": ["true"]})))
    cli(repo, "adopt")
    run_id: str = cli(repo, "run", "prepare", "--workflow", str(workflow))["run_id"]
    try:
        yield run_id
    finally:
        cli(repo, "run", "cancel", "--run-id", run_id)
        shutil.rmtree(base, ignore_errors=True)


def measure(runs: int = 30) -> dict[str, Any]:
    """Start-up and round-trip medians against the daemon this process points at."""
    striatum = str(BIN / "striatum")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    pid = daemon_pid()
    token_create = [striatum, "--as", "principal", "token", "create", "--role", "reader"]
    with prepared_run() as run_id:
        figures = medians(
            {
                "python_c_pass": [sys.executable, "-c", "pass"],
                "version": [striatum, "--version"],
                "help": [striatum, "--help"],
                "read_verb_whoami": [striatum, "whoami"],
                "read_verb_status": [striatum, "status", "--run-id", run_id],
                "read_verb_status_json": [striatum, "status", "--run-id", run_id, "--json"],
                "read_verb_list_runs": [striatum, "list", "runs"],
                "write_verb_token_create": token_create,
            },
            env,
            runs,
        )
    baseline = figures.pop("python_c_pass")
    time.sleep(2)  # let the daemon settle before reading its idle memory
    return {
        "benchmark": "cli",
        "runs": runs,
        "python_c_pass_ms": round(baseline * 1000, 1),
        **{f"{name}_ms": round(value * 1000, 1) for name, value in figures.items()},
        **{f"{name}_ratio": round(value / baseline, 2) for name, value in figures.items()},
        "daemon_idle_rss_mb": round(rss_mb(pid), 1),
        "embedded_postgres_rss_mb": round(postgres_rss_mb(), 1),
        "targets": {
            "version_ratio": 3,
            "read_verb_ratio": 4,
            "write_verb_ratio": 5,
            "daemon_idle_rss_mb": 80,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with daemon_home("cli"):
        print(json.dumps(measure(args.runs), indent=2))


if __name__ == "__main__":
    main()

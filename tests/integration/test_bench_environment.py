"""Benchmarks run their own instance, whatever the environment points at.

A developer's shell may name their own daemon (STRIATUM_HOME, STRIATUM_RUNTIME_DIR, a
STRIATUM_DATABASE_URL). A benchmark started from it must start, measure and stop a daemon of
its own scratch home: never fail on those settings, never use, touch or stop that daemon.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.daemons import DaemonUnderTest, alive

ROOT = Path(__file__).parents[2]


def snapshot(folder: Path) -> dict[str, int]:
    """Every file under `folder` with its modification time (ns)."""
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


def bench(module: str, *argv: str, env: dict[str, str]) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize(
    ("module", "argv"),
    [
        # The daemon's pid file and embedded cluster read through striatum.paths (bench.report
        # read the pid file from <home>/run and crashed when STRIATUM_RUNTIME_DIR was set).
        ("cli", ["--runs", "1"]),
        # A daemon started, driven over RPC and stopped by bench.scratch.daemon_home.
        ("run", ["--jobs", "3", "--fanout", "2"]),
        # Its daemon counters from daemon.status and the commit count from its own cluster.
        (
            "scale",
            ["--sizes", "3", "--shapes", "deep", "--modes", "operator", "--floor-samples", "9"],
        ),
    ],
    ids=["cli", "run", "scale"],
)
def test_a_bench_leaves_the_daemon_the_environment_names_alone(
    daemon: DaemonUnderTest, module: str, argv: list[str]
) -> None:
    env = {**daemon.env, "STRIATUM_TOKEN": daemon.token("operator")}
    theirs = daemon.pid()
    before = snapshot(daemon.runtime_dir)
    report = bench(module, *argv, env=env)
    if module == "cli":
        assert report["daemon_idle_rss_mb"] > 0
        assert report["embedded_postgres_rss_mb"] > 0  # its own embedded cluster, not the URL's
    elif module == "scale":
        [case] = report["cases"]
        assert (case["completed"], case["run_state"]) == (3, "succeeded")
        assert case["transactions_per_job"] > 0
    else:
        assert (report["completed"], report["run_state"]) == (3, "succeeded")
    assert alive(theirs), "the bench stopped the daemon the environment names"
    assert daemon.pid() == theirs
    assert snapshot(daemon.runtime_dir) == before
    assert daemon.json("repo", "list")["repositories"] == []  # bench.run adopts one: not here

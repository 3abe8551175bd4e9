"""What every benchmark sets up: a throwaway home with a running daemon, a git repository,
a tree-shaped DAG of jobs, and a run of it ready for a supervisor."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

STRIATUM = str(Path(sys.executable).parent / "striatum")


@contextlib.contextmanager
def daemon_home(prefix: str) -> Iterator[Path]:
    """A fresh STRIATUM_HOME under /tmp (reachable by the cluster user) with a daemon in it;
    the daemon is stopped and everything removed on the way out."""
    base = Path(tempfile.mkdtemp(prefix=f"striatum-bench-{prefix}-", dir="/tmp"))
    base.chmod(0o755)
    os.environ["STRIATUM_HOME"] = str(base / "home")
    subprocess.run([STRIATUM, "daemon", "start"], check=True, stdout=subprocess.DEVNULL)
    try:
        yield base
    finally:
        subprocess.run([STRIATUM, "daemon", "stop"], check=False, stdout=subprocess.DEVNULL)
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def migrated_cluster() -> Iterator[tuple[Any, Path]]:
    """A throwaway embedded cluster, migrated, with no daemon: (its Database, a base dir)."""
    from striatum.daemon.embedded import EmbeddedCluster
    from striatum.store import migrations

    base = Path(tempfile.mkdtemp(prefix="striatum-bench-", dir="/tmp"))
    base.chmod(0o755)
    cluster = EmbeddedCluster(root=base / "pg")
    cluster.start()
    try:
        database = cluster.database()
        migrations.migrate(database)
        yield database, base
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


def git_repo(base: Path) -> Path:
    repo = base / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


def tree_dag(
    jobs: int, fanout: int, lane: dict[str, Any], *, with_outputs: bool = False
) -> dict[str, Any]:
    """Job n depends on job (n - 1) // fanout, so each job releases up to `fanout` others."""
    specs = [
        {
            "id": f"j{n:04d}",
            "kind": "task",
            "lane": "work",
            "artifacts": [{"path": f"docs/striatum/j{n:04d}.md"}] if with_outputs else [],
            "depends_on": [] if n == 0 else [f"j{(n - 1) // fanout:04d}"],
        }
        for n in range(jobs)
    ]
    return {
        "schema_version": "striatum.workflow.v1",
        "id": "bench-dag",
        "name": "Bench DAG",
        "lanes": {"work": lane},
        "jobs": specs,
    }


def cli(repo: Path, *argv: str) -> Any:
    """A verb through the real CLI, its --json result."""
    out = subprocess.run(
        [STRIATUM, "--repo", str(repo), *argv, "--json"], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out)


def started_run(repo: Path, workflow: Path, document: dict[str, Any]) -> str:
    """`document` written to `workflow`, adopted, prepared and started for `supervise`."""
    workflow.write_text(json.dumps(document))
    cli(repo, "adopt")
    run_id: str = cli(repo, "run", "prepare", "--workflow", str(workflow))["run_id"]
    cli(repo, "run", "start", "--run-id", run_id, "--no-supervise")
    return run_id

"""What every benchmark sets up: a throwaway home with a running daemon, a git repository,
a DAG of jobs (a tree, or one of the `SHAPES`: wide or deep), and a run of it ready for a
supervisor.

A benchmark's instance is its own whatever the environment says: `instance` points every
Striatum variable at the scratch home (its runtime directory and embedded cluster inside it),
so a developer's STRIATUM_RUNTIME_DIR or STRIATUM_DATABASE_URL never sends the bench's daemon,
its clients or its `daemon stop` to their own daemon. Benchmarks read the daemon's files
through `striatum.paths`, never by recomputing them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

STRIATUM = str(Path(sys.executable).parent / "striatum")
# Where benchmarks make their scratch (homes, clusters, repositories): a folder the embedded
# cluster's unprivileged user can reach; /tmp unless STRIATUM_BENCH_DIR says. `make bench`
# names the cheaper for making files of `.bench-scratch` in the checkout and /tmp: on some
# machines one costs many times the other, for hours (`bench.scratch_fs` reports both).
SCRATCH_DIR = os.environ.get("STRIATUM_BENCH_DIR", "/tmp")
# Where `make test-agents` installed the agent CLIs (bench.agents runs them): not a setting of
# the instance, so it passes through.
KEPT = frozenset({"STRIATUM_AGENTS_CACHE", "STRIATUM_BENCH_DIR"})


@contextlib.contextmanager
def instance(home: Path) -> Iterator[None]:
    """This process's environment (so every daemon and client it starts) pointed at the
    instance in `home`: STRIATUM_HOME and STRIATUM_RUNTIME_DIR set, every other Striatum
    variable (a database URL, a token, an agent's markers, tuning) out; restored afterwards."""
    saved = dict(os.environ)
    for name in [n for n in os.environ if n.startswith("STRIATUM_") and n not in KEPT]:
        del os.environ[name]
    os.environ["STRIATUM_HOME"] = str(home)
    os.environ["STRIATUM_RUNTIME_DIR"] = str(home / "run")
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def daemon_home(prefix: str) -> Iterator[Path]:
    """A fresh base directory under /tmp (reachable by the cluster user) whose `home` is the
    `instance` of a running daemon; the daemon is stopped, the environment restored and
    everything removed on the way out."""
    base = Path(tempfile.mkdtemp(prefix=f"striatum-bench-{prefix}-", dir=SCRATCH_DIR))
    base.chmod(0o755)
    try:
        with instance(base / "home"):
            subprocess.run([STRIATUM, "daemon", "start"], check=True, stdout=subprocess.DEVNULL)
            try:
                yield base
            finally:
                subprocess.run([STRIATUM, "daemon", "stop"], check=False, stdout=subprocess.DEVNULL)
    finally:
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def migrated_cluster() -> Iterator[tuple[Any, Path]]:
    """A throwaway embedded cluster, migrated, with no daemon: (its Database, a base dir
    whose `home` is the `instance` meanwhile, for what reads the home in this process)."""
    from striatum.daemon.embedded import EmbeddedCluster
    from striatum.store import migrations

    base = Path(tempfile.mkdtemp(prefix="striatum-bench-", dir=SCRATCH_DIR))
    base.chmod(0o755)
    cluster = EmbeddedCluster(root=base / "pg")
    cluster.start()
    try:
        database = cluster.database()
        migrations.migrate(database)
        with instance(base / "home"):
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
    return _workflow(
        jobs, lane, lambda n: None if n == 0 else (n - 1) // fanout, with_outputs=with_outputs
    )


def chains_dag(
    jobs: int, length: int, lane: dict[str, Any], *, with_outputs: bool = False
) -> dict[str, Any]:
    """Independent chains of `length` jobs (the last one shorter when `length` does not divide
    `jobs`): each job depends on the one before it in its chain, so nothing runs side by side
    within a chain."""
    return _workflow(
        jobs, lane, lambda n: None if n % length == 0 else n - 1, with_outputs=with_outputs
    )


WIDE_FANOUT = 50
DEEP_CHAIN = 100


def wide_dag(jobs: int, lane: dict[str, Any], *, with_outputs: bool = False) -> dict[str, Any]:
    """A tree in which each job releases up to 50 others."""
    return tree_dag(jobs, WIDE_FANOUT, lane, with_outputs=with_outputs)


def deep_dag(jobs: int, lane: dict[str, Any], *, with_outputs: bool = False) -> dict[str, Any]:
    """jobs/100 independent chains of 100 (a run of 200 jobs is 2 chains)."""
    return chains_dag(jobs, DEEP_CHAIN, lane, with_outputs=with_outputs)


# The DAGs the scale benchmark compares, by name.
SHAPES = {"wide": wide_dag, "deep": deep_dag}


def _workflow(
    jobs: int, lane: dict[str, Any], parent: Callable[[int], int | None], *, with_outputs: bool
) -> dict[str, Any]:
    """A workflow of `jobs` tasks on one lane, job n depending on job `parent(n)` (if any)."""
    specs = []
    for n in range(jobs):
        up = parent(n)
        specs.append(
            {
                "id": f"j{n:04d}",
                "kind": "task",
                "lane": "work",
                "artifacts": [{"path": f"docs/striatum/j{n:04d}.md"}] if with_outputs else [],
                "depends_on": [] if up is None else [f"j{up:04d}"],
            }
        )
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


def supervise(repo: Path, run_id: str) -> None:
    """`striatum supervise` on the run until it ends (its output discarded)."""
    subprocess.run(
        [STRIATUM, "supervise", "--run-id", run_id],
        check=True,
        cwd=repo,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def started_run(repo: Path, workflow: Path, document: dict[str, Any]) -> str:
    """`document` written to `workflow`, adopted, prepared and started for `supervise`."""
    workflow.write_text(json.dumps(document))
    cli(repo, "adopt")
    run_id: str = cli(repo, "run", "prepare", "--workflow", str(workflow))["run_id"]
    cli(repo, "run", "start", "--run-id", run_id, "--no-supervise")
    return run_id

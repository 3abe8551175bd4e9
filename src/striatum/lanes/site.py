"""Where a supervisor's agents work: the run's repository and worktree, held by one supervisor."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from striatum import errors
from striatum.engine import worktrees
from striatum.lanes import agent_process
from striatum.lanes.worktree_guard import WorktreeGuard
from striatum.model.packet import LaneSpec


@dataclass(frozen=True, kw_only=True)
class Site:
    """Learnt once from the run's status (a run's snapshot never changes)."""

    repo: Path
    workdir: Path  # the run's worktree, or the repository itself when it has no commit
    artifact_root: str  # without a trailing slash
    lanes: dict[str, LaneSpec]  # every lane of the workflow, defaults included


@contextlib.contextmanager
def only_supervisor(repo: Path, run_id: str) -> Iterator[None]:
    """Hold the run's lock file in `.striatum/`; Conflict when another supervisor has it."""
    with held_lock(repo, f"supervisor-{run_id}.lock") as held:
        if not held:
            raise errors.Conflict(
                f"run {run_id} already has a supervisor",
                hint="striatum dashboard --run-id " + run_id,
            )
        yield


@contextlib.contextmanager
def held_lock(repo: Path, name: str) -> Iterator[bool]:
    """Hold the lock file `.striatum/<name>` while the block runs: True, or False when
    another process holds it (then nothing is held). The kernel lets go when we die."""
    scratch = repo / ".striatum"
    scratch.mkdir(parents=True, exist_ok=True)
    handle: IO[str] = open(scratch / name, "a")  # noqa: SIM115
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        handle.close()


def take_over(
    run_id: str, status: dict[str, Any], log: Callable[[str], None]
) -> tuple[Site, WorktreeGuard | None]:
    """Under the lock: kill what a dead supervisor of the run left running (first: a writer
    still running would undo the clean-up), make sure of the run's worktree, and take back
    what its agents left there, committed by themselves or not (no attempt is live now)."""
    from striatum import paths

    run = status["run"]
    repo = Path(run["repo"])
    agent_process.kill_leftovers(repo / ".striatum" / "runs" / run_id, run_id)
    workdir = (
        worktrees.ensure(repo, run_id, paths.worktree(run["repo_id"], run_id))
        if worktrees.usable(repo)
        else repo
    )
    lanes: dict[str, LaneSpec] = status["lanes"]
    site = Site(
        repo=repo, workdir=workdir, artifact_root=run["artifact_root"].rstrip("/"), lanes=lanes
    )
    guard = WorktreeGuard(workdir, site.artifact_root) if workdir != repo else None
    if guard is not None:
        made, left = guard.take_over(repo)
        if made:
            log(f"took back commits an earlier supervisor's agents made: {'; '.join(made)}")
        if left:
            log(
                f"dropped what an earlier supervisor's agents left uncommitted in "
                f"the worktree: {', '.join(left[:10])}"
            )
    return site, guard

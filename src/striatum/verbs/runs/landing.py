"""run.land: merge a succeeded run's branch into the repository (the principal decides)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from striatum import errors, paths
from striatum.engine import progress, worktrees
from striatum.engine.context import Context
from striatum.model.engine.states import RunState
from striatum.store import runs


def land(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    run = runs.lock(ctx.conn, params["run_id"])
    if run.state != RunState.SUCCEEDED:
        raise errors.Conflict(
            f"run {run.run_id} is {run.state.value}; only a succeeded run lands", run_id=run.run_id
        )
    merged = worktrees.land(
        Path(run.repo_path), run.run_id, paths.worktree(run.repo_id, run.run_id)
    )
    progress.emit(ctx, run, "run.landed", branch=worktrees.branch(run.run_id), commit=merged)
    return {"run_id": run.run_id, "branch": worktrees.branch(run.run_id), "commit": merged}

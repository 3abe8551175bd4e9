"""run.land: merge a succeeded run's branch into the repository (the principal decides).

The merge commit is made inside the transaction but named by no ref (so a retried or rolled
back transaction leaves nothing a user sees); `run.landed` records it; the checked-out branch
is fast-forwarded to it after commit. If that fast-forward fails, the caller is told the
recorded commit and how to finish (engine/worktrees.finish_land).
"""

from __future__ import annotations

import functools
from typing import Any

from striatum import errors, paths
from striatum.engine import progress, snapshot, worktrees
from striatum.engine.context import Context
from striatum.model.engine.states import RunState
from striatum.store import runs, work


def land(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    run = runs.lock(ctx.conn, params["run_id"])
    if run.state != RunState.SUCCEEDED:
        raise errors.Conflict(
            f"run {run.run_id} is {run.state.value}; only a succeeded run lands", run_id=run.run_id
        )
    repo = run.checkout()
    missing = worktrees.missing_from_branch(
        repo, run.run_id, work.run_commits(ctx.conn, run.run_id)
    )
    if missing:  # landing now would bring a part of the run and record it as landed
        branch = worktrees.branch(run.run_id)
        remote = snapshot.remote(run)
        raise errors.Conflict(
            f"the run's branch {branch} here lacks the commits of {', '.join(missing)}",
            hint=f"catch up first: git -C {paths.worktree(run.repo_id, run.run_id)} pull "
            f"--ff-only {remote} {branch}",
            run_id=run.run_id,
            jobs=missing,
        )
    landing = worktrees.prepare_land(repo, run.run_id, paths.worktree(run.repo_id, run.run_id))
    progress.emit(
        ctx, run, "run.landed", branch=worktrees.branch(run.run_id), commit=landing.commit
    )
    ctx.after_commit(functools.partial(worktrees.finish_land, landing))
    return {"run_id": run.run_id, "branch": worktrees.branch(run.run_id), "commit": landing.commit}

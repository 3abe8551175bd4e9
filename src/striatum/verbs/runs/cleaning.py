"""run.clean: remove what ended runs left on disk (worktree, branch, scratch).

A dry run unless `yes`. The decision is made in the transaction, from what git and the file
system show (read only); the removal happens after commit, once `run.cleaned` is recorded.
The database keeps everything: the runs, their events and artifacts stay as they were.
"""

from __future__ import annotations

import functools
from typing import Any

from striatum import errors, paths
from striatum.engine import cleanup, progress, snapshot
from striatum.engine.context import Context
from striatum.model.engine.states import TERMINAL_RUN
from striatum.store import runs, supervisors
from striatum.verbs.repos import adoption
from striatum.verbs.runs.supervision import still_there


def clean(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    run_ids = _chosen(ctx, params)
    yes, force = bool(params.get("yes")), bool(params.get("force"))
    answers, skipped = [], []
    for run_id in sorted(run_ids):  # one lock order for every caller: by id
        run = runs.lock(ctx.conn, run_id)
        if run.state not in TERMINAL_RUN:
            skipped.append({"run_id": run_id, "why": f"it is {run.state.value}"})
            continue
        leaving = still_there(ctx, supervisors.lock(ctx.conn, run_id))  # after the run's lock
        if leaving is not None:  # its lock file, worktree and scratch are still in use
            skipped.append({"run_id": run_id, "why": leaving})
            continue
        repo = run.checkout()
        left = cleanup.find(
            repo,
            run_id,
            paths.worktree(run.repo_id, run_id),
            artifact_root=snapshot.artifact_root(run),
        )
        cleaning = cleanup.decide(left, force=force)
        if cleaning.anything or cleaning.kept:
            answers.append(
                {"run_id": run_id, "removes": cleaning.removes(), "kept": list(cleaning.kept)}
            )
        if yes and cleaning.anything:
            progress.emit(
                ctx, run, "run.cleaned", removed=cleaning.removes(), kept=list(cleaning.kept)
            )
            ctx.after_commit(functools.partial(cleanup.carry_out, repo, cleaning))
    return {"dry_run": not yes, "runs": answers, "skipped": skipped}


def _chosen(ctx: Context, params: dict[str, Any]) -> list[str]:
    """The one run named, or every ended run of the repository (--finished)."""
    if bool(params.get("run_id")) == bool(params.get("finished")):
        raise errors.ValidationError(
            "name one run (--run-id RUN) or pass --finished", parameter="run_id"
        )
    if params.get("run_id"):
        run = runs.get(ctx.conn, params["run_id"])  # NotFound names it
        if run.state not in TERMINAL_RUN:
            raise errors.Conflict(
                f"run {run.run_id} is {run.state.value}; only an ended run is cleaned",
                run_id=run.run_id,
                state=run.state.value,
            )
        return [run.run_id]
    repo = adoption.resolve(ctx, params.get("repo"))
    return [
        found.run_id
        for found in runs.list_runs(ctx.conn, repo_id=repo.repo_id, limit=10_000)
        if found.state in TERMINAL_RUN
    ]

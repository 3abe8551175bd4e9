"""repo.remove: unregister a repository, keeping everything it recorded.

The chain, its anchors, the runs and the artifacts are provenance: they outlive a clean-up.
Only the mark changes (`removed_at`): `repo list` hides the repository, new runs refuse it,
and `adopt` on its path brings it back with the same id and chain.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from striatum import errors
from striatum.engine.context import Context
from striatum.model.engine.states import TERMINAL_RUN
from striatum.store import chains, repositories, runs


def remove(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    if not params.get("repo"):
        raise errors.ValidationError(
            "no repository: name its path, run inside it, or pass --repo DIR", parameter="repo"
        )
    path = str(Path(params["repo"]).resolve())
    repo = repositories.lock_by_path(ctx.conn, path)  # first: a new run's prepare holds it
    if repo is None or repo.removed_at is not None:
        raise errors.NotFound(
            f"repository {path} is not adopted" if repo is None else f"{path} was removed already",
            path=path,
        )
    live = [
        run
        for run in runs.list_runs(ctx.conn, repo_id=repo.repo_id, limit=10_000)
        if run.state not in TERMINAL_RUN
    ]
    if live:
        named = ", ".join(f"{run.run_id} ({run.state.value})" for run in live[:5])
        raise errors.Conflict(
            f"repository {path} has runs that have not ended: {named}",
            hint=f"striatum run cancel --run-id {live[0].run_id}  (or let them finish)",
            path=path,
        )
    repositories.mark_removed(ctx.conn, repo.repo_id)
    chains.append_event(
        ctx.conn, repo_id=repo.repo_id, type="repo.removed", actor=ctx.actor, payload={"path": path}
    )
    return {"repo_id": repo.repo_id, "path": path, "removed": True, "chain_kept": True}

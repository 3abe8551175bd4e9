"""run.latest: the newest run of a repository (what `latest` means as a run id in the CLI)."""

from __future__ import annotations

from typing import Any

from striatum import errors
from striatum.engine.context import Context
from striatum.store import runs
from striatum.verbs.repos import adoption


def latest_run(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    repo = adoption.resolve(ctx, params.get("repo"))
    found = runs.list_runs(ctx.conn, repo_id=repo.repo_id, limit=1)
    if not found:
        raise errors.NotFound(
            f"repository {repo.path} has no run yet",
            hint="striatum run prepare --workflow FILE",
            path=repo.path,
        )
    return {**found[0].to_dict(), "repo": repo.path}

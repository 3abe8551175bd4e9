"""The code a run changed: `/runs/RUN/changes` (the whole branch against the run's base) and
`?commit=SHA` (one commit against its parent), drawn from git in the target repository."""

from __future__ import annotations

from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from striatum.web import code_changes, render
from striatum.web.calls import read


async def changes_page(request: Request) -> Response:
    run_id = request.path_params["run_id"]
    run = (await read("status", run_id=run_id))["run"]
    repo = Path(run["repo"])
    branch = await run_in_threadpool(code_changes.branch, repo, run_id)
    wanted = request.query_params.get("commit", "")
    commit = None
    if wanted:
        commit = next(
            (c for c in (branch.commits if branch else []) if c.sha.startswith(wanted.lower())),
            None,
        )
        if commit is None or not code_changes.is_commit_id(wanted.lower()):
            return render.error_page(
                request, 404, f"no commit {wanted!r} on this run's branch", hint="see the list"
            )
    if commit is not None:
        diff = await run_in_threadpool(code_changes.diff, repo, f"{commit.sha}^", commit.sha)
    elif branch is not None and branch.base is not None:
        tip = branch.commits[0].sha
        diff = await run_in_threadpool(code_changes.diff, repo, branch.base, tip)
    else:
        diff = None
    return render.page(
        request,
        "changes.html",
        run=run,
        branch=branch,
        commit=commit,
        diff=diff,
        limit=code_changes.DIFF_LIMIT,
    )


def routes() -> list[Route]:
    return [Route("/runs/{run_id:str}/changes", changes_page, name="changes")]

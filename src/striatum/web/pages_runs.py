"""The runs list and the run page (job graph, jobs, blockers, next actions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from striatum import paths
from striatum.verbs.runs import TASK_STYLES
from striatum.web import calls, code_changes, graph_view, render

RUN_STATES = ("prepared", "running", "paused", "succeeded", "failed", "cancelled")
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})


async def runs_list(request: Request) -> Response:
    query = request.query_params
    state = query.get("state") or None
    if state is not None and state not in RUN_STATES:
        return render.error_page(
            request, 400, f"unknown run state {state!r}", hint=f"one of: {', '.join(RUN_STATES)}"
        )
    found = (await calls.read("list.runs", state=state, limit=200))["runs"]
    repos = {r["repo_id"]: r["path"] for r in (await calls.read("repo.list"))["repositories"]}
    rows = [{**run, "repo": repos.get(run["repo_id"], run["repo_id"])} for run in found]
    shown = [
        r for r in rows if _matches(r, query.get("workflow"), query.get("repo"), query.get("q"))
    ]
    return render.page(
        request,
        "runs.html",
        runs=shown,
        total=len(rows),
        workflows=sorted({r["workflow_id"] for r in rows}),
        states=RUN_STATES,
        state=state or "",
        workflow=query.get("workflow", ""),
        repo=query.get("repo", ""),
        text=query.get("q", ""),
        repositories=sorted(repos.values()),
        styles=TASK_STYLES,
        live="/live",
    )


def _matches(run: dict[str, Any], workflow: str | None, repo: str | None, text: str | None) -> bool:
    """Every given filter holds: a part of the workflow id, of the repository path, and of
    any of the run's words (id, workflow, repository, why it ended); case ignored."""
    words = " ".join(
        str(run.get(key) or "") for key in ("run_id", "workflow_id", "repo", "ended_reason")
    )
    return all(
        not wanted or wanted.lower() in field.lower()
        for wanted, field in (
            (workflow, run["workflow_id"]),
            (repo, str(run["repo"])),
            (text, words),
        )
    )


async def run_page(request: Request) -> Response:
    run_id = request.path_params["run_id"]
    status = await calls.read("status", run_id=run_id)
    graph = await calls.read("run.graph", run_id=run_id)
    choices: dict[str, list[str]] = {b["checkpoint"]: [] for b in graph["checkpoint_branches"]}
    for branch in graph["checkpoint_branches"]:
        choices[branch["checkpoint"]].append(branch["choice"])
    live = (
        None
        if status["run"]["state"] in TERMINAL
        else (f"/live?run_id={run_id}&after={graph['last_seq']}")
    )
    branch = await run_in_threadpool(code_changes.branch, Path(status["run"]["repo"]), run_id)
    return render.page(
        request,
        "run.html",
        branch=branch,
        status=status,
        run=status["run"],
        view=graph_view.build(graph),
        choices=choices,
        leases={lease["job_id"]: lease for lease in status["leases"]},
        this_host=paths.host_name(),  # a lease another host's daemon granted names its host
        live=live,
    )


def routes() -> list[Route]:
    return [Route("/", runs_list, name="runs"), Route("/runs/{run_id:str}", run_page, name="run")]

"""The job page (attempts, lease, prompt, logs, artifacts, verdicts) and the artifact page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from striatum.web import front_matter, render
from striatum.web.calls import read

TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
MARKDOWN_SUFFIXES = (".md", ".markdown")


async def job_page(request: Request) -> Response:
    run_id, job_id = request.path_params["run_id"], request.path_params["job_id"]
    shown = await read("job.show", run_id=run_id, job=job_id)
    live_lease = next((lease for lease in shown["leases"] if lease["ended_at"] is None), None)
    live = (
        None
        if shown["run"]["state"] in TERMINAL
        else (f"/live?run_id={run_id}&after={shown['last_seq']}")
    )
    return render.page(
        request,
        "job.html",
        shown=shown,
        run=shown["run"],
        job=shown["job"],
        live_lease=live_lease,
        live=live,
    )


async def job_logs(request: Request) -> Response:
    """The job page's agent output alone: the job page's script asks for it while the agent
    runs (the tails are bounded by the daemon's reader: 16 KiB each)."""
    run_id, job_id = request.path_params["run_id"], request.path_params["job_id"]
    shown = await read("job.show", run_id=run_id, job=job_id)
    return render.page(request, "logs.html", shown=shown, job=shown["job"])


async def artifact_page(request: Request) -> Response:
    shown = await read("artifact.show", artifact=request.path_params["artifact_id"])
    as_markdown = shown["artifact"]["path"].lower().endswith(MARKDOWN_SUFFIXES)
    readable = as_markdown and shown["content_status"] == "ok"
    return render.page(
        request,
        "artifact.html",
        shown=shown,
        artifact=shown["artifact"],
        as_markdown=as_markdown,
        document=front_matter.split(shown["content"]) if readable else None,
    )


def routes() -> list[Route]:
    return [
        Route("/runs/{run_id:str}/jobs/{job_id:str}", job_page, name="job"),
        Route("/runs/{run_id:str}/jobs/{job_id:str}/logs", job_logs, name="job_logs"),
        Route("/artifacts/{artifact_id:str}", artifact_page, name="artifact"),
    ]

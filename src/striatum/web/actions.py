"""The principal's actions: POST forms that call one verb each as the principal.

Every route checks the mutation policy first (mutations allowed, same origin, the form's
secret), so without `--allow-mutations` each one answers 403 whatever it is sent. On success
the browser is sent back (303) to the page the form came from.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from striatum.web import calls, render

MAX_FORM_BYTES = 64 << 10
Form = dict[str, str]
Perform = Callable[[Request, Form], Awaitable[Any]]


async def _form(request: Request) -> Form | None:
    """The urlencoded form (first value of each field), or None if it is not one."""
    if (
        request.headers.get("content-type", "").split(";")[0].strip()
        != "application/x-www-form-urlencoded"
    ):
        return None
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return None
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        return None
    return {key: values[0] for key, values in fields.items()}


def _back(form: Form, fallback: str) -> str:
    """Where to go after the action: the form's own page, never another site."""
    target = form.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback


def action(
    perform: Perform, fallback: Callable[[Request], str]
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        form = await _form(request)
        refusal = request.app.state.policy.refusal(request.headers, form or {})
        if refusal is not None:
            return render.error_page(request, 403, refusal)
        if form is None:
            return render.error_page(request, 400, "expected a urlencoded form")
        await perform(request, form)
        return RedirectResponse(_back(form, fallback(request)), status_code=303)

    return endpoint


def _run_page(request: Request) -> str:
    return f"/runs/{request.path_params['run_id']}"


def _inbox(request: Request) -> str:
    return "/inbox"


async def _cancel_run(request: Request, form: Form) -> Any:
    return await calls.act(
        "run.cancel",
        run_id=request.path_params["run_id"],
        reason=form.get("reason") or "cancelled from the web UI",
    )


async def _cancel_job(request: Request, form: Form) -> Any:
    return await calls.act(
        "job.cancel",
        run_id=request.path_params["run_id"],
        job=request.path_params["job_id"],
        reason=form.get("reason") or "cancelled from the web UI",
    )


async def _requeue_job(request: Request, form: Form) -> Any:
    return await calls.act(
        "recovery.requeue", run_id=request.path_params["run_id"], job=request.path_params["job_id"]
    )


async def _override_verdict(request: Request, form: Form) -> Any:
    return await calls.act(
        "override-verdict",
        run_id=request.path_params["run_id"],
        job=request.path_params["job_id"],
        value=form.get("value"),
        reason=form.get("reason") or "decided in the web UI",
    )


async def _decide(request: Request, form: Form) -> Any:
    return await calls.act(
        "checkpoint.decide",
        blocker=request.path_params["blocker_id"],
        choice=form.get("choice"),
        note=form.get("note"),
    )


async def _resolve(request: Request, form: Form) -> Any:
    return await calls.act(
        "escalation.resolve",
        blocker=request.path_params["blocker_id"],
        outcome=form.get("outcome"),
        note=form.get("note"),
    )


def routes() -> list[Route]:
    job = "/actions/runs/{run_id:str}/jobs/{job_id:str}"
    return [
        Route(
            "/actions/runs/{run_id:str}/cancel", action(_cancel_run, _run_page), methods=["POST"]
        ),
        Route(f"{job}/cancel", action(_cancel_job, _run_page), methods=["POST"]),
        Route(f"{job}/requeue", action(_requeue_job, _run_page), methods=["POST"]),
        Route(f"{job}/verdict", action(_override_verdict, _run_page), methods=["POST"]),
        Route(
            "/actions/blockers/{blocker_id:str}/decide", action(_decide, _inbox), methods=["POST"]
        ),
        Route(
            "/actions/blockers/{blocker_id:str}/resolve", action(_resolve, _inbox), methods=["POST"]
        ),
    ]

"""The principal's actions: POST forms that call one verb each as the principal.

Every route checks the mutation policy first (mutations allowed, same origin, the form's
secret), so without `--allow-mutations` each one answers 403 whatever it is sent. A first POST
answers a page asking to confirm (what will happen, and the form again with its confirmation
token); the confirmed POST calls the verb and sends the browser back (303) to the page the form
came from, with a message saying what was done.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from striatum.web import calls, confirm, render

MAX_FORM_BYTES = 64 << 10
Form = dict[str, str]
Perform = Callable[[Request, Form], Awaitable[Any]]
Say = Callable[[Request, Form], str]
NOT_CARRIED = frozenset({"secret", "confirm"})  # the confirmation page sets these itself


@dataclass(frozen=True, kw_only=True)
class Action:
    perform: Perform
    back: Callable[[Request], str]  # where to go when the form names no page
    question: Say  # the confirmation page's title
    consequence: str  # what the action does, in one sentence
    done: Say  # the message shown after it
    asks_reason: bool = False  # the confirmation page offers a recorded reason
    # Where to go once done, from what the verb answered (None: `back`, or the form's page)
    result_page: Callable[[Any], str] | None = None


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


def endpoint(action: Action) -> Callable[[Request], Awaitable[Response]]:
    async def answer(request: Request) -> Response:
        form = await _form(request)
        policy = request.app.state.policy
        refusal = policy.refusal(request.headers, form or {})
        if refusal is not None:
            return render.error_page(request, 403, refusal)
        if form is None:
            return render.error_page(request, 400, "expected a urlencoded form")
        back = _back(form, action.back(request))
        if not confirm.confirmed(policy.secret, request.url.path, form.get("confirm", "")):
            return _ask(request, action, form, back)
        request.state.result = await action.perform(request, form)
        if action.result_page is not None:
            back = action.result_page(request.state.result)
        response = RedirectResponse(back, status_code=303)
        confirm.set_flash(response, policy.secret, action.done(request, form))
        return response

    return answer


def _ask(request: Request, action: Action, form: Form, back: str) -> Response:
    carried = {
        k: v
        for k, v in form.items()
        if k not in NOT_CARRIED and not (action.asks_reason and k == "reason")
    }
    return render.page(
        request,
        "confirm.html",
        action_path=request.url.path,
        question=action.question(request, form),
        consequence=action.consequence,
        carried=carried,
        asks_reason=action.asks_reason,
        reason=form.get("reason", ""),
        token=confirm.token(request.app.state.policy.secret, request.url.path),
        back=back,
    )


def _run_page(request: Request) -> str:
    return f"/runs/{request.path_params['run_id']}"


def _inbox(request: Request) -> str:
    return "/inbox"


def _run(request: Request) -> str:
    return str(request.path_params["run_id"])


def _job(request: Request) -> str:
    return str(request.path_params["job_id"])


def _blocker(request: Request) -> str:
    return str(request.path_params["blocker_id"])


async def _cancel_run(request: Request, form: Form) -> Any:
    return await calls.act(
        "run.cancel", run_id=_run(request), reason=form.get("reason") or "cancelled from the web UI"
    )


async def _cancel_job(request: Request, form: Form) -> Any:
    return await calls.act(
        "job.cancel",
        run_id=_run(request),
        job=_job(request),
        reason=form.get("reason") or "cancelled from the web UI",
    )


async def _retry_run(request: Request, form: Form) -> Any:
    return await calls.act("run.retry", run_id=_run(request))


async def _retry_from_job(request: Request, form: Form) -> Any:
    return await calls.act("run.retry", run_id=_run(request), **{"from": _job(request)})


async def _override_verdict(request: Request, form: Form) -> Any:
    return await calls.act(
        "override-verdict",
        run_id=_run(request),
        job=_job(request),
        value=form.get("value"),
        reason=form.get("reason") or "decided in the web UI",
    )


async def _decide(request: Request, form: Form) -> Any:
    return await calls.act(
        "checkpoint.decide",
        blocker=_blocker(request),
        choice=form.get("choice"),
        note=form.get("note"),
    )


async def _resolve(request: Request, form: Form) -> Any:
    return await calls.act(
        "escalation.resolve",
        blocker=_blocker(request),
        outcome=form.get("outcome"),
        note=form.get("note"),
    )


async def _new_task(request: Request, form: Form) -> Any:
    """`run task`, detached: the form starts a task and never lands one."""
    revisions = form.get("max_revisions", "").strip()
    return await calls.start_task(
        sentence=form.get("sentence"),
        repo=form.get("repo"),
        style=form.get("style"),
        author=form.get("author"),
        reviewer=form.get("reviewer"),
        max_revisions=int(revisions) if revisions.isdigit() else None,
        budget_usd=form.get("budget_usd"),
    )


def _started(request: Request, form: Form) -> str:
    result = request.state.result
    return f"Task started: run {result['run_id']} ({result.get('lanes', '')})."


NEW_TASK = Action(
    perform=_new_task,
    back=lambda r: "/",
    question=lambda r, f: f"Start a task in {f.get('repo') or '?'}?",
    consequence="A workflow is built from the starter with this sentence as its task and a "
    "run starts under a supervisor; landing it stays the principal's, from the terminal.",
    done=_started,
    result_page=lambda result: f"/runs/{result['run_id']}",
)
CANCEL_RUN = Action(
    perform=_cancel_run,
    back=_run_page,
    question=lambda r, f: f"Cancel run {_run(r)}?",
    consequence="Every job not yet finished is cancelled and running agents are stopped.",
    done=lambda r, f: f"Run {_run(r)} cancelled.",
    asks_reason=True,
)
CANCEL_JOB = Action(
    perform=_cancel_job,
    back=_run_page,
    question=lambda r, f: f"Cancel job {_job(r)} of run {_run(r)}?",
    consequence="The job and every job that depends on it are cancelled.",
    done=lambda r, f: f"Job {_job(r)} cancelled.",
    asks_reason=True,
)
RETRY_RUN = Action(
    perform=_retry_run,
    back=_run_page,
    question=lambda r, f: f"Retry run {_run(r)} from where it stopped?",
    consequence="Its failed and cancelled jobs and everything downstream run again as new "
    "attempts; earlier attempts, verdicts and events stay.",
    done=lambda r, f: f"Run {_run(r)} retried.",
)
RETRY_FROM_JOB = Action(
    perform=_retry_from_job,
    back=_run_page,
    question=lambda r, f: f"Retry run {_run(r)} from job {_job(r)}?",
    consequence="This job, everything downstream of it and every job that did not succeed "
    "run again as new attempts; earlier attempts, verdicts and events stay.",
    done=lambda r, f: f"Run {_run(r)} retried from {_job(r)}.",
)
OVERRIDE_VERDICT = Action(
    perform=_override_verdict,
    back=_run_page,
    question=lambda r, f: f"Override the verdict of {_job(r)} with {f.get('value', '?')}?",
    consequence="Your verdict replaces the review's; the reason is recorded.",
    done=lambda r, f: f"Verdict of {_job(r)} overridden: {f.get('value', '?')}.",
)
DECIDE = Action(
    perform=_decide,
    back=_inbox,
    question=lambda r, f: f"Decide checkpoint {_blocker(r)}: {f.get('choice', '?')}?",
    consequence="The run follows this choice; a decision cannot be taken back.",
    done=lambda r, f: f"Checkpoint decided: {f.get('choice', '?')}.",
)
RESOLVE = Action(
    perform=_resolve,
    back=_inbox,
    question=lambda r, f: f"Resolve escalation {_blocker(r)}: {f.get('outcome', '?')}?",
    consequence="The blocked job goes on as this outcome says; it cannot be taken back.",
    done=lambda r, f: f"Escalation resolved: {f.get('outcome', '?')}.",
)


def routes() -> list[Route]:
    job = "/actions/runs/{run_id:str}/jobs/{job_id:str}"
    blocker = "/actions/blockers/{blocker_id:str}"
    return [
        Route("/actions/tasks", endpoint(NEW_TASK), methods=["POST"]),
        Route("/actions/runs/{run_id:str}/cancel", endpoint(CANCEL_RUN), methods=["POST"]),
        Route("/actions/runs/{run_id:str}/retry", endpoint(RETRY_RUN), methods=["POST"]),
        Route(f"{job}/cancel", endpoint(CANCEL_JOB), methods=["POST"]),
        Route(f"{job}/retry", endpoint(RETRY_FROM_JOB), methods=["POST"]),
        Route(f"{job}/verdict", endpoint(OVERRIDE_VERDICT), methods=["POST"]),
        Route(f"{blocker}/decide", endpoint(DECIDE), methods=["POST"]),
        Route(f"{blocker}/resolve", endpoint(RESOLVE), methods=["POST"]),
    ]

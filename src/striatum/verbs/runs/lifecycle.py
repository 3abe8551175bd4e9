"""run.prepare, run.start, run.pause, run.resume, run.cancel."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Any

from striatum import errors
from striatum.engine import budgets, progress
from striatum.engine.context import Context
from striatum.engine.ids import new_id
from striatum.model import bounded_json
from striatum.model.budget_amounts import dollars
from striatum.model.canonical import canonical_bytes
from striatum.model.engine.states import RunState, check_run
from striatum.model.workflow.paths import path_problem
from striatum.model.workflow.schema import Budget, Lane
from striatum.model.workflow.validate import validate_text
from striatum.store import runs, supervisors
from striatum.store import usage as usage_rows
from striatum.verbs.repos import adoption
from striatum.verbs.runs import supervision

MAX_FILE_BYTES = 1 << 20


def prepare(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    repo = adoption.resolve(ctx, params.get("repo"), new_run=True)
    path = Path(params["workflow"])
    text = _read(path)
    files = _workflow_files(path.parent, text)
    result = validate_text(text, file_exists=files.__contains__)
    if not result.ok or result.workflow is None:
        raise errors.ValidationError(
            f"{path}: {len(result.errors)} error(s); first: {result.errors[0]}",
            hint=f"striatum workflow validate {path}",
            problems=[p.to_dict() for p in result.errors],
        )
    # The normalized model, defaults included: what the engine and supervisors read.
    document = result.workflow.model_dump(mode="json", by_alias=True)
    body = {"workflow": document, "files": files}
    sha256 = hashlib.sha256(canonical_bytes(body)).hexdigest()
    snapshot_id = runs.insert_snapshot(
        ctx.conn,
        snapshot_id=new_id("wfs"),
        repo_id=repo.repo_id,
        workflow_id=document["id"],
        sha256=sha256,
        body=body,
    )
    run_id = new_id("run")
    usd, tokens, hard = _budget(params, result.workflow.budget)
    runs.insert_run(
        ctx.conn,
        run_id=run_id,
        repo_id=repo.repo_id,
        snapshot_id=snapshot_id,
        created_by=ctx.actor,
        workflow_path=str(path),
        budget_usd=usd,
        budget_tokens=tokens,
        budget_hard=hard,
    )
    workflow = result.workflow
    for position, job in enumerate(workflow.jobs):
        runs.insert_job(
            ctx.conn,
            run_id=run_id,
            job_id=job.id,
            kind=job.kind,
            lane=job.lane,
            max_attempts=_max_attempts(workflow.lanes.get(job.lane or "")),
            depends_on=list(job.depends_on),
            position=position,
        )
    for name, lane in workflow.lanes.items():
        if lane.budget is not None:
            usage_rows.set_lane_budget(
                ctx.conn,
                run_id,
                name,
                usd=lane.budget.usd,
                tokens=lane.budget.tokens,
                hard=lane.budget.hard,
            )
    run = runs.get(ctx.conn, run_id)
    limits: dict[str, Any] = {
        "budgets": [
            spend.to_dict() for spend in usage_rows.spends(ctx.conn, run_id) if spend.limited
        ]
    }
    progress.emit(
        ctx,
        run,
        "run.prepared",
        workflow_id=document["id"],
        sha256=sha256,
        jobs=len(document["jobs"]),
        workflow_path=str(path),
        **(limits if limits["budgets"] else {}),
    )
    return {
        "run_id": run_id,
        "workflow_id": document["id"],
        "sha256": sha256,
        "jobs": len(document["jobs"]),
        "warnings": [p.to_dict() for p in result.warnings],
    }


def _max_attempts(lane: Lane | None) -> int:
    """A job without a lane (a checkpoint) is never attempted: the schema's default."""
    if lane is None:
        return int(Lane.model_fields["max_attempts"].default)
    return lane.max_attempts


def start(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """A prepared run starts; a running one whose supervisor is gone gets one again.
    `supervise` in the result: the caller launches the supervisor (its environment is the
    caller's, so only the caller can)."""
    run = runs.lock(ctx.conn, params["run_id"])
    supervise = not params.get("no_supervise")
    if run.state == RunState.RUNNING and supervise:
        supervision.restart(ctx, run)
        return {**_summary(run), "supervise": True, "resumed": True}
    check_run(run.state, RunState.RUNNING)
    if run.state != RunState.PREPARED:
        raise errors.Conflict(
            f"run {run.run_id} is {run.state.value}; use run resume", run_id=run.run_id
        )
    runs.set_state(ctx.conn, run.run_id, RunState.RUNNING)
    supervisors.record_launch(ctx.conn, run.run_id, supervised=supervise, host=ctx.daemon.host)
    progress.emit(ctx, run, "run.started", supervised=supervise)
    run = progress.advance(ctx, runs.get(ctx.conn, run.run_id))
    return {**_summary(run), "supervise": supervise and run.state == RunState.RUNNING}


def _budget(
    params: dict[str, Any], declared: Budget | None
) -> tuple[float | None, int | None, bool]:
    """The run's budget: --budget-usd/--budget-tokens/--budget-hard where given, else the
    workflow's."""
    usd = declared.usd if declared else None
    tokens = declared.tokens if declared else None
    hard = bool(params.get("budget_hard")) or (declared is not None and declared.hard)
    if params.get("budget_usd") is not None:
        usd = dollars(params["budget_usd"], "budget_usd")
    if params.get("budget_tokens") is not None:
        if not 1 <= params["budget_tokens"] <= 10**12:
            raise errors.ValidationError(
                "--budget-tokens must be from 1 to 10^12", parameter="budget_tokens"
            )
        tokens = params["budget_tokens"]
    if hard and usd is None and tokens is None:
        raise errors.ValidationError(
            "--budget-hard needs a budget: --budget-usd, --budget-tokens or the workflow's",
            parameter="budget_hard",
        )
    return usd, tokens, hard


def pause(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    return _move(ctx, params["run_id"], RunState.PAUSED, "run.paused", RunState.RUNNING)


def resume(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    waiting = budgets.open_blocker(ctx, params["run_id"])
    if waiting is not None:  # only raising the budget lifts it (the principal's decision)
        raise errors.Conflict(
            f"run {params['run_id']} was paused by its budget ({waiting.reason}); the principal "
            f"raises it: striatum --as principal run budget --run-id {params['run_id']} "
            "[--lane LANE] --usd AMOUNT",
            run_id=params["run_id"],
        )
    return _move(ctx, params["run_id"], RunState.RUNNING, "run.resumed", RunState.PAUSED)


def cancel(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    run = runs.lock(ctx.conn, params["run_id"])
    if run.state in (RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED):
        raise errors.Conflict(
            f"run {run.run_id} already ended ({run.state.value})", run_id=run.run_id
        )
    jobs = runs.jobs(ctx.conn, run.run_id)
    reason = params.get("reason") or "cancelled by a caller"
    run = progress.end_run(ctx, run, jobs, RunState.CANCELLED, reason=reason)
    return _summary(run)


def _move(
    ctx: Context, run_id: str, wanted: RunState, event: str, required: RunState
) -> dict[str, Any]:
    run = runs.lock(ctx.conn, run_id)
    if run.state != required:
        raise errors.Conflict(
            f"run {run_id} is {run.state.value}, not {required.value}",
            run_id=run_id,
            state=run.state.value,
        )
    check_run(run.state, wanted)
    runs.set_state(ctx.conn, run_id, wanted)
    progress.emit(ctx, run, event)
    return _summary(runs.get(ctx.conn, run_id))


def _summary(run: runs.Run) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "state": run.state.value,
        "ended_reason": run.ended_reason,
        "repo": run.repo_path,
    }


def _read(path: Path) -> str:
    """A regular file of at most MAX_FILE_BYTES, read through one descriptor: a FIFO or a
    device (/dev/zero) named as a workflow must neither block nor fill a daemon thread."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise errors.NotFound(f"no such file: {path}", path=str(path)) from None
    except OSError as error:
        raise errors.ValidationError(f"cannot read {path}: {error.strerror}") from None
    try:  # fstat first: os.fdopen itself raises on a directory
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise errors.ValidationError(f"{path} is not a regular file", path=str(path))
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    finally:
        os.close(descriptor)
    if len(data) > MAX_FILE_BYTES:
        raise errors.ValidationError(f"{path} is larger than {MAX_FILE_BYTES} bytes")
    return data.decode("utf-8", errors="replace")


def _workflow_files(folder: Path, text: str) -> dict[str, str]:
    """The role and prompt files a workflow names, read now so the snapshot is complete."""
    try:
        document = bounded_json.loads(text)
    except ValueError:  # syntax or bounds: validation names it
        return {}
    names: list[str] = []
    if isinstance(document, dict):
        roles = document.get("roles")
        if isinstance(roles, dict):
            names += [v for v in roles.values() if isinstance(v, str)]
        jobs = document.get("jobs")
        for job in jobs if isinstance(jobs, list) else []:  # a wrong shape: validation says
            if isinstance(job, dict) and isinstance(job.get("prompt"), str):
                names.append(job["prompt"])
    files: dict[str, str] = {}
    for name in names:
        if path_problem(name) is not None:
            continue  # validation names the field
        try:
            candidate = (folder / name).resolve()
            if folder.resolve() in candidate.parents and candidate.is_file():
                files[name] = _read(candidate)
        except (OSError, ValueError):  # a name too long, or not encodable as a file name:
            continue  # the file is missing, and validation says why
    return files

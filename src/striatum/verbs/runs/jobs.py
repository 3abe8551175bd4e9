"""job.cancel: stop one job of a running run (its live lease ends, its jobs downstream are
cancelled by the engine, and the run ends if nothing more can happen).

A run that ends because a caller cancelled a job ends `cancelled`, never `succeeded`: as when
a checkpoint's `cancel` choice leaves work undone, someone chose not to finish it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from striatum import errors
from striatum.engine import progress
from striatum.engine.context import Context
from striatum.model.engine import plan
from striatum.model.engine.records import BlockerKind
from striatum.model.engine.states import TERMINAL_JOB, JobState, RunState
from striatum.store import records, runs, work


def cancel(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    run = runs.lock(ctx.conn, params["run_id"])
    job = next((j for j in runs.jobs(ctx.conn, run.run_id) if j.job_id == params["job"]), None)
    if job is None:
        raise errors.NotFound(f"no job {params['job']!r} in run {run.run_id}", job=params["job"])
    if run.state not in (RunState.RUNNING, RunState.PAUSED):
        raise errors.Conflict(
            f"run {run.run_id} is {run.state.value}; its jobs cannot be cancelled",
            run_id=run.run_id,
            state=run.state.value,
        )
    if job.state in TERMINAL_JOB:
        raise errors.Conflict(
            f"job {job.job_id} already ended ({job.state.value})",
            job_id=job.job_id,
            state=job.state.value,
        )
    reason = params.get("reason") or "cancelled by a caller"
    _end_live_lease(ctx, run, job, reason)
    _close_blockers(ctx, run, job.job_id)
    progress.move_job(ctx, run, job, JobState.CANCELLED, reason=reason)
    run = runs.get(ctx.conn, run.run_id)
    current = runs.jobs(ctx.conn, run.run_id)
    if would_succeed(progress.view(ctx, run, current)):
        run = progress.end_run(
            ctx, run, current, RunState.CANCELLED, reason=f"job {job.job_id} cancelled: {reason}"
        )
    else:
        run = progress.advance(ctx, run)
    return {
        "run_id": run.run_id,
        "job_id": job.job_id,
        "state": "cancelled",
        "run_state": run.state.value,
    }


def would_succeed(view: plan.RunView) -> bool:
    """Whether the run would now end `succeeded` once the engine promotes what it can
    (cancellations cascading downstream included)."""
    moved = plan.promotions(view)
    after = dataclasses.replace(
        view,
        jobs={
            job_id: dataclasses.replace(job, state=moved.get(job_id, job.state))
            for job_id, job in view.jobs.items()
        },
    )
    return plan.outcome(after) == RunState.SUCCEEDED


def _end_live_lease(ctx: Context, run: runs.Run, job: runs.JobRow, reason: str) -> None:
    for lease in work.live_leases(ctx.conn, run.run_id):
        if lease.job_id != job.job_id:
            continue
        progress.end_lease(
            ctx,
            run,
            job,
            lease.lease_id,
            lease_outcome="cancelled",
            attempt_state="cancelled",
            reason=reason,
        )


def _close_blockers(ctx: Context, run: runs.Run, job_id: str) -> None:
    for blocker in records.open_blockers(ctx.conn, run.run_id):
        if blocker.job_id == job_id:
            records.resolve_blocker(
                ctx.conn,
                blocker_id=blocker.blocker_id,
                resolution="job cancelled",
                resolved_by=ctx.actor,
                outcome="closed",
            )
            progress.emit(
                ctx,
                run,
                "escalation.closed"
                if blocker.kind == BlockerKind.ESCALATION
                else "checkpoint.closed",
                job_id,
                blocker_id=blocker.blocker_id,
                reason="job cancelled",
            )

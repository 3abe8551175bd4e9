"""block, escalation.list/show/resolve, checkpoint.decide."""

from __future__ import annotations

from typing import Any

from striatum import errors
from striatum.engine import leases, outcomes, progress, snapshot
from striatum.engine.context import Context
from striatum.model.engine.plan import GateDecision
from striatum.model.engine.records import BlockerKind, BlockerReason, BlockerState
from striatum.model.engine.states import JobState
from striatum.store import records, runs
from striatum.verbs import shapes
from striatum.verbs.work import results

# What the human may answer, by why the escalation was opened (every reason but checkpoint).
OUTCOMES: dict[BlockerReason, tuple[str, ...]] = {
    BlockerReason.BLOCKED: ("retry", "fail"),
    BlockerReason.ATTEMPTS_EXHAUSTED: ("retry", "fail"),
    BlockerReason.CANNOT_START: ("retry", "fail"),  # retry once the agent can start
    BlockerReason.PARKED_TOO_OFTEN: ("retry", "fail"),  # retry once the limit lifted
    BlockerReason.REVISION_BOUND: ("accept", "revise", "fail"),
}


def block(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """An agent stops and asks the human; its attempt ends, its job waits."""
    found = leases.held(ctx, params["lease"])
    progress.end_lease(
        ctx,
        found.run,
        found.job,
        found.lease.lease_id,
        lease_outcome="released",
        attempt_state="cancelled",
        reason=f"blocked: {params['reason']}",
    )
    progress.move_job(ctx, found.run, found.job, JobState.WAITING, reason="blocked")
    blocker_id = outcomes.open_escalation(
        ctx, found.run, found.job.job_id, "blocked", params["reason"]
    )
    return {"blocker_id": blocker_id, "job_id": found.job.job_id, "state": "waiting"}


def list_(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    found = records.list_blockers(ctx.conn, params.get("run_id"), params["all"])
    return {
        "escalations": [
            b.to_dict(shapes.BLOCKER_LISTED) for b in found if b.kind == BlockerKind.ESCALATION
        ]
    }


def show(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    blocker = records.get_blocker(ctx.conn, params["blocker"])
    history = runs.events_mentioning(ctx.conn, "blocker_id", params["blocker"])
    allowed = OUTCOMES.get(blocker.reason_kind, ())
    return {
        "blocker": blocker.to_dict(shapes.BLOCKER_SHOWN),
        "outcomes": list(allowed),
        "events": [e.to_dict() for e in history],
    }


def _open_blocker(
    ctx: Context, blocker_id: str, kind: BlockerKind
) -> tuple[runs.Run, dict[str, runs.JobRow], records.Blocker]:
    """The run (locked first, as every transition does), its jobs, and the open blocker."""
    run = runs.lock(ctx.conn, records.get_blocker(ctx.conn, blocker_id).run_id)
    jobs = {j.job_id: j for j in runs.jobs(ctx.conn, run.run_id)}
    blocker = records.lock_blocker(ctx.conn, blocker_id)
    if blocker.kind != kind:
        raise errors.Conflict(
            "a checkpoint is decided with `checkpoint decide`"
            if kind == BlockerKind.ESCALATION
            else "an escalation is resolved with `escalation resolve`"
        )
    if blocker.state != BlockerState.OPEN:
        raise errors.Conflict(
            f"{blocker.kind} {blocker.blocker_id} on "
            f"{blocker.job_id} was already settled "
            f"({blocker.resolution})"
        )
    return run, jobs, blocker


def resolve(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    run, jobs, blocker = _open_blocker(ctx, params["blocker"], BlockerKind.ESCALATION)
    outcome, note = params["outcome"], params.get("note") or ""
    allowed = OUTCOMES[blocker.reason_kind]
    if outcome not in allowed:
        raise errors.ValidationError(
            f"a {blocker.reason_kind} escalation takes --outcome {'|'.join(allowed)}",
            parameter="outcome",
        )
    job = jobs[blocker.job_id]
    if blocker.reason_kind == BlockerReason.REVISION_BOUND:
        decision = {
            "accept": GateDecision.ACCEPT,
            "revise": GateDecision.REVISE,
            "fail": GateDecision.FAIL,
        }[outcome]
        verdict_id = records.latest_verdict(ctx.conn, run_id=run.run_id, job_id=job.job_id)
        results.settle_escalated_gate(ctx, run, job, decision, verdict_id, note)
    else:
        records.resolve_blocker(
            ctx.conn,
            blocker_id=blocker.blocker_id,
            resolution=note,
            resolved_by=ctx.actor,
            outcome=outcome,
            note=note,
        )
        progress.emit(
            ctx,
            run,
            "escalation.resolved",
            job.job_id,
            blocker_id=blocker.blocker_id,
            outcome=outcome,
            note=note,
        )
        if outcome == "retry":
            progress.move_job(ctx, run, job, JobState.READY, reason="retry after escalation")
        elif job.state != JobState.FAILED:
            progress.move_job(ctx, run, job, JobState.FAILED, reason="failed by the human")
    run = progress.advance(ctx, runs.get(ctx.conn, run.run_id))
    return {"blocker_id": blocker.blocker_id, "outcome": outcome, "run_state": run.state.value}


def decide_checkpoint(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    run, jobs, blocker = _open_blocker(ctx, params["blocker"], BlockerKind.CHECKPOINT)
    choices = snapshot.checkpoint(run, blocker.job_id).choices
    choice = params["choice"]
    if choice not in choices:
        raise errors.ValidationError(
            f"choice {choice!r} is not one of {', '.join(sorted(choices))}", parameter="choice"
        )
    records.resolve_blocker(
        ctx.conn,
        blocker_id=blocker.blocker_id,
        resolution=choice,
        resolved_by=ctx.actor,
        outcome=choice,
        note=params.get("note"),
    )
    progress.emit(
        ctx,
        run,
        "checkpoint.decided",
        blocker.job_id,
        blocker_id=blocker.blocker_id,
        choice=choice,
        note=params.get("note"),
    )
    progress.move_job(
        ctx, run, jobs[blocker.job_id], JobState.SUCCEEDED, reason=f"decided: {choice}"
    )
    run = progress.advance(ctx, runs.get(ctx.conn, run.run_id))
    return {"checkpoint": blocker.job_id, "choice": choice, "run_state": run.state.value}

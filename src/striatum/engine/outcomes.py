"""What ends an attempt: success (with a review's gate), failure, expiry, a block."""

from __future__ import annotations

from striatum.engine import progress, snapshot
from striatum.engine.context import Context
from striatum.engine.ids import new_id
from striatum.model.engine import plan
from striatum.model.engine.plan import AttemptDecision, GateDecision
from striatum.model.engine.states import JobState
from striatum.store import records, runs, work
from striatum.store.runs import JobRow, Run


def expire(ctx: Context, run: Run, job: JobRow, lease_id: str, *, why: str) -> None:
    """A lease that ended without its holder (expired, or its supervisor gone): end the
    attempt as expired, then retry or fail the job as for any failed attempt."""
    progress.end_lease(
        ctx, run, job, lease_id, lease_outcome="expired", attempt_state="expired", reason=why
    )
    if job.state == JobState.LEASED:
        after_failure(ctx, run, job, why=why)


def after_failure(
    ctx: Context, run: Run, job: JobRow, *, why: str, permanent: bool = False
) -> None:
    """A failed or expired attempt: retry as a new attempt, or fail with a blocker.

    Only failures since the job last succeeded count (a release or a revision does not). A
    permanent failure (the agent cannot even start) is not retried: another try would fail
    the same way, so the human hears of it at once."""
    failures = runs.count_failure(ctx.conn, run.run_id, job.job_id)
    decision = plan.after_failed_attempt(failures, job.max_attempts)
    if permanent:
        progress.move_job(ctx, run, job, JobState.FAILED, reason=why, attempt=job.attempt)
        open_escalation(ctx, run, job.job_id, "cannot_start", f"{job.job_id}: {why}")
        return
    if decision == AttemptDecision.RETRY:
        progress.move_job(ctx, run, job, JobState.READY, reason=why, attempt=job.attempt)
        return
    progress.move_job(ctx, run, job, JobState.FAILED, reason=why, attempt=job.attempt)
    open_escalation(
        ctx,
        run,
        job.job_id,
        "attempts_exhausted",
        f"{job.job_id} failed {failures} attempt(s) in a row (its lane allows "
        f"{job.max_attempts}): {why}",
    )


def open_escalation(ctx: Context, run: Run, job_id: str, reason_kind: str, reason: str) -> str:
    blocker_id = new_id("blk")
    records.insert_blocker(
        ctx.conn,
        blocker_id=blocker_id,
        run_id=run.run_id,
        job_id=job_id,
        kind="escalation",
        reason=reason,
        opened_by=ctx.actor,
        reason_kind=reason_kind,
    )
    progress.emit(
        ctx,
        run,
        "escalation.opened",
        job_id,
        blocker_id=blocker_id,
        reason_kind=reason_kind,
        reason=reason,
    )
    progress.notice(
        ctx,
        run,
        "escalation",
        job_id=job_id,
        blocker_id=blocker_id,
        reason_kind=reason_kind,
        reason=reason,
    )
    return blocker_id


def settle_review(ctx: Context, run: Run, review: JobRow, verdict: records.Verdict) -> None:
    """Apply a review's verdict through its gate (the review job is leased or waiting)."""
    gate = snapshot.gate(run, review.job_id)
    decision = plan.gate_decision(
        verdict.value,
        revisions=review.revisions,
        max_revisions=gate.max_revisions,
        on_exhausted=gate.on_exhausted,
    )
    records.mark_applied(ctx.conn, verdict.verdict_id)
    progress.emit(
        ctx,
        run,
        "gate.decided",
        review.job_id,
        verdict_id=verdict.verdict_id,
        verdict=verdict.value.value,
        decision=decision.value,
        revisions=review.revisions,
        max_revisions=gate.max_revisions,
    )
    apply_gate(ctx, run, review, decision, verdict.verdict_id, gate.target)


def apply_gate(
    ctx: Context, run: Run, review: JobRow, decision: GateDecision, verdict_id: str, target: str
) -> None:
    if decision == GateDecision.ACCEPT:
        progress.move_job(ctx, run, review, JobState.SUCCEEDED, reason="accepted")
    elif decision == GateDecision.FAIL:
        progress.move_job(ctx, run, review, JobState.FAILED, reason="gate failed")
    elif decision == GateDecision.ESCALATE:
        progress.move_job(ctx, run, review, JobState.WAITING, reason="revision bound reached")
        open_escalation(
            ctx,
            run,
            review.job_id,
            "revision_bound",
            f"{review.job_id} still asks for revisions of {target} after "
            f"{review.revisions} revision(s)",
        )
    else:
        request_revision(ctx, run, review, verdict_id, target)


def request_revision(ctx: Context, run: Run, review: JobRow, verdict_id: str, target: str) -> None:
    """The target runs again (its next packet carries every review's findings), and every job
    downstream of it goes back to pending: reviews must judge the new attempt, not the old.
    Live work downstream is stopped (its lease ends) and its open escalations close."""
    jobs = {j.job_id: j for j in runs.jobs(ctx.conn, run.run_id)}
    view = progress.view(ctx, run, list(jobs.values()))
    runs.add_revision(ctx.conn, run.run_id, review.job_id)
    runs.add_revision_verdict(ctx.conn, run.run_id, target, verdict_id)
    for job_id, wanted in plan.revision_resets(view, target, review.job_id).items():
        current = jobs[job_id]
        if current.state == JobState.LEASED and job_id != review.job_id:
            stop_live_work(ctx, run, current, "superseded by a revision")
        close_escalations(ctx, run, job_id, "superseded by a revision")
        if current.state != wanted:
            progress.move_job(
                ctx, run, current, wanted, reason="revision requested", verdict_id=verdict_id
            )
        runs.clear_job_history(ctx.conn, run.run_id, job_id, keep_verdicts=job_id == target)
    progress.emit(
        ctx,
        run,
        "revision.requested",
        target,
        review_job_id=review.job_id,
        verdict_id=verdict_id,
        revision=review.revisions + 1,
    )


def stop_live_work(ctx: Context, run: Run, job: JobRow, why: str) -> None:
    for lease in work.live_leases(ctx.conn, run.run_id):
        if lease.job_id == job.job_id:
            cancel_attempt(ctx, run, job, lease.lease_id, why)


def cancel_attempt(ctx: Context, run: Run, job: JobRow, lease_id: str, why: str) -> None:
    """End a live attempt and its lease as cancelled (not counted against max_attempts)."""
    progress.end_lease(
        ctx,
        run,
        job,
        lease_id,
        lease_outcome="cancelled",
        attempt_state="cancelled",
        reason=why,
    )


def close_escalations(ctx: Context, run: Run, job_id: str, why: str) -> None:
    for blocker in records.open_blockers(ctx.conn, run.run_id):
        if blocker.job_id == job_id:
            records.resolve_blocker(
                ctx.conn,
                blocker_id=blocker.blocker_id,
                resolution=why,
                resolved_by=ctx.actor,
                outcome="superseded",
            )
            progress.emit(
                ctx,
                run,
                "escalation.resolved",
                job_id,
                blocker_id=blocker.blocker_id,
                outcome="superseded",
                note=why,
            )

"""recovery.list, recovery.requeue, recovery.sweep (also run by the daemon on a timer)."""

from __future__ import annotations

from typing import Any

from striatum import errors
from striatum.engine import outcomes, progress
from striatum.engine.context import Context
from striatum.model.engine.records import BlockerKind
from striatum.model.engine.states import JobState
from striatum.store import records, runs, supervisors, work
from striatum.verbs import shapes
from striatum.verbs.runs import revival, supervision


def list_(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    run_id = params.get("run_id")
    expired = [
        lease.to_dict(shapes.LEASE_EXPIRED)
        for lease in work.expired_leases(ctx.conn, limit=500)
        if run_id is None or lease.run_id == run_id
    ]
    failed, stuck, orphaned = [], [], []
    for run in runs.list_runs(ctx.conn, state="running", limit=500):
        if run_id is not None and run.run_id != run_id:
            continue
        watch = supervisors.get(ctx.conn, run.run_id)
        if watch is not None and watch.supervised and supervision.is_gone(ctx, watch):
            orphaned.append(
                {
                    "run_id": run.run_id,
                    "host": watch.host,
                    "gone_pid": watch.pid,
                    "next": f"striatum run start --run-id {run.run_id}  (or wait: the "
                    f"daemon on {watch.host} resumes it)",
                }
            )
        jobs = runs.jobs(ctx.conn, run.run_id)
        failed += [
            {"run_id": run.run_id, "job_id": j.job_id, "attempt": j.attempt}
            for j in jobs
            if j.state == JobState.FAILED
        ]
        if not any(j.state in (JobState.READY, JobState.LEASED, JobState.WAITING) for j in jobs):
            stuck.append(run.run_id)
    escalations = [
        b.to_dict(shapes.BLOCKER_OPEN)
        for b in records.open_blockers(ctx.conn, run_id)
        if b.kind == BlockerKind.ESCALATION
    ]
    return {
        "expired_leases": expired,
        "failed_jobs": failed,
        "stuck_runs": stuck,
        "orphaned_runs": orphaned,  # supervised, and their supervisor is gone
        "open_escalations": escalations,
    }


def requeue(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """The alias of `run retry --from JOB` (a failed job of a running run always waits on
    an escalation, so the old requeue had nothing left to do)."""
    return revival.retry(ctx, {"run_id": params["run_id"], "from": params["job"]})


def sweep(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """Expire silent leases: each job goes back to ready as a new attempt, or fails."""
    limit = params.get("limit")
    limit = 100 if limit is None else limit
    if not 1 <= limit <= 1000:
        raise errors.ValidationError("--limit must be between 1 and 1000", parameter="limit")
    recovered, skipped = [], []
    for candidate in work.expired_leases(ctx.conn, limit=limit):
        try:
            with ctx.conn.transaction():  # one lease's trouble never blocks the others
                found = _expire(ctx, candidate)
        except errors.Retryable:
            raise
        except errors.StriatumError as error:
            skipped.append({"lease_id": candidate.lease_id, "error": error.message})
            continue
        if found is not None:
            recovered.append(found)
    return {"recovered": recovered, "skipped": skipped}


def _expire(ctx: Context, candidate: work.Lease) -> dict[str, Any] | None:
    run = runs.lock(ctx.conn, candidate.run_id)
    jobs = {j.job_id: j for j in runs.jobs(ctx.conn, run.run_id)}
    lease, _, _ = work.lock_lease(ctx.conn, candidate.lease_id)
    if lease.ended_at is not None or not lease.expired:
        return None  # finished or heartbeated meanwhile
    job = jobs[lease.job_id]
    why = f"lease {lease.lease_id} expired: its holder stopped heartbeating"
    outcomes.expire(ctx, run, job, lease.lease_id, why=why)
    progress.advance(ctx, runs.get(ctx.conn, run.run_id))
    return {
        "lease_id": lease.lease_id,
        "run_id": run.run_id,
        "job_id": job.job_id,
        "attempt": job.attempt,
    }

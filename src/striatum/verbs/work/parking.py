"""`park`: an attempt stopped by a provider's rate or usage limit (docs/SPEC.md §9, parking).

The attempt ends as `parked`, not `failed`: it does not count against the job's max_attempts.
The job is ready again at once but claims skip it until its time: the reset time the
agent's CLI gave, or after a delay, or after its lane's `park_backoff_s`. The principal's
notification hook hears of a lane's first parked job, not of every one. A job parked as
often in a row as its lane's `max_parks` allows fails at the next park and asks the human.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from striatum import errors
from striatum.engine import leases, outcomes, progress, snapshot
from striatum.engine.context import Context
from striatum.model.engine.records import BlockerReason
from striatum.model.engine.states import JobState
from striatum.model.workflow.schema import Lane
from striatum.store import runs, tokens
from striatum.verbs.work import usage

LONGEST = dt.timedelta(days=7)  # a limit that lifts later than this is not a limit to wait out
MOST_PARKS = int(Lane.model_fields["max_parks"].default)  # a job without a lane's spec


def park(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("until") and params.get("after_s") is not None:
        raise errors.ValidationError("give --until or --after-s, not both", parameter="after_s")
    found = leases.held(ctx, params["lease"])
    run, job = found.run, found.job
    now = tokens.now(ctx.conn)
    lane = snapshot.lane_spec(run, job.lane)
    until = _until(params, now, default_s=lane.park_backoff_s if lane else 300)
    usage.record_carried(ctx, found, params)
    reason = params["reason"]
    parks = runs.parks_in_a_row(ctx.conn, run.run_id, job.job_id)
    most = lane.max_parks if lane else MOST_PARKS
    if parks >= most:
        return _give_up(
            ctx, found, f"parked {parks} times in a row (its lane allows {most}); then: {reason}"
        )
    lanes_parked = {lane_name for _, lane_name, _ in runs.parked_jobs(ctx.conn, run.run_id)}
    progress.end_lease(
        ctx,
        run,
        job,
        found.lease.lease_id,
        lease_outcome="parked",
        attempt_state="parked",
        reason=reason,
    )
    stamp = until.isoformat()
    progress.move_job(
        ctx,
        run,
        job,
        JobState.READY,
        reason=f"parked: {reason}",
        ready_after=stamp,
        parked_until=stamp,
        attempt=job.attempt,
    )
    if job.lane not in lanes_parked:  # the lane's first: one notification per parked lane
        progress.notice(
            ctx, run, "parked", job_id=job.job_id, lane=job.lane, until=stamp, reason=reason
        )
    return {
        "job_id": job.job_id,
        "state": JobState.READY.value,
        "attempt": job.attempt,
        "parked_until": stamp,
        "run_state": runs.get(ctx.conn, run.run_id).state.value,  # its budget may pause it
    }


def _give_up(ctx: Context, found: leases.Held, why: str) -> dict[str, Any]:
    """A job parked as often in a row as its lane allows: this limit may never lift (or the
    agent parks itself forever). The attempt fails and the human decides, as when attempts
    run out."""
    run, job = found.run, found.job
    progress.end_lease(
        ctx,
        run,
        job,
        found.lease.lease_id,
        lease_outcome="failed",
        attempt_state="failed",
        reason=why,
    )
    progress.move_job(ctx, run, job, JobState.FAILED, reason=why, attempt=job.attempt)
    outcomes.open_escalation(
        ctx, run, job.job_id, BlockerReason.PARKED_TOO_OFTEN.value, f"{job.job_id}: {why}"
    )
    return {
        "job_id": job.job_id,
        "state": JobState.FAILED.value,
        "attempt": job.attempt,
        "parked_until": None,
        "reason": why,
        "run_state": runs.get(ctx.conn, run.run_id).state.value,
    }


def _until(params: dict[str, Any], now: dt.datetime, *, default_s: int) -> dt.datetime:
    """When the job may be claimed again: --until (a time with its zone), --after-s, or the
    lane's backoff; a time already past means at once."""
    if params.get("until"):
        try:
            until = dt.datetime.fromisoformat(params["until"])
        except ValueError:
            raise errors.ValidationError(
                f"--until must be a time such as 2026-12-05T15:00:00Z, not {params['until']!r}",
                parameter="until",
            ) from None
        if until.tzinfo is None:
            raise errors.ValidationError(
                "--until needs its time zone (Z or +HH:MM): the daemon and the agent may "
                "not share one",
                parameter="until",
            )
    else:
        after = params.get("after_s")
        seconds = default_s if after is None else after
        if not 0 <= seconds <= LONGEST.total_seconds():
            raise errors.ValidationError(
                f"--after-s must be from 0 to {int(LONGEST.total_seconds())} seconds",
                parameter="after_s",
            )
        until = now + dt.timedelta(seconds=seconds)
    if until - now > LONGEST:
        raise errors.ValidationError(
            f"--until is more than {LONGEST.days} days away: fail the attempt instead",
            parameter="until",
        )
    return max(until, now)

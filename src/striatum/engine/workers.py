"""Who does a claimed attempt, who did the work a review judges, and the co-blindness check.

The recorded provider of an attempt wins; an attempt with none recorded (claimed before
migration 0005) is taken to have been done by its lane's provider.
"""

from __future__ import annotations

from striatum import errors
from striatum.engine import snapshot
from striatum.engine.context import Context
from striatum.model.engine import provenance
from striatum.model.engine.provenance import Worker
from striatum.store import work
from striatum.store.runs import Run

SAME_PROVIDER_OPTION = "review.allow_same_provider"


def of_session(run: Run, lane: str | None, session: work.Session) -> Worker:
    """Who does an attempt this session claims on this lane."""
    spec = snapshot.lane_spec(run, lane)
    return provenance.worker(
        session_provider=session.provider,
        session_model=session.model,
        lane=lane,
        lane_provider=spec.provider if spec else None,
        lane_model=spec.model if spec else None,
    )


def of_lane(run: Run, lane: str | None) -> Worker:
    spec = snapshot.lane_spec(run, lane)
    return provenance.worker(
        session_provider=None,
        session_model=None,
        lane=lane,
        lane_provider=spec.provider if spec else None,
        lane_model=spec.model if spec else None,
    )


def of_attempt(ctx: Context, run: Run, job_id: str, lane: str | None, attempt: int) -> Worker:
    recorded = work.attempt_worker(
        ctx.conn, run_id=run.run_id, job_id=job_id, lane=lane, attempt=attempt
    )
    return recorded or of_lane(run, lane)


def author(ctx: Context, run: Run, target: str) -> tuple[str | None, Worker]:
    """The target's lane and who did its latest succeeded attempt."""
    lane = snapshot.job_spec(run, target).lane
    recorded = work.last_succeeded_worker(ctx.conn, run_id=run.run_id, job_id=target, lane=lane)
    return lane, recorded or of_lane(run, lane)


def review_refusal(
    ctx: Context, run: Run, job_id: str, reviewer: Worker
) -> errors.SameProviderReview | None:
    """Why `reviewer` may not take review `job_id` (co-blindness), or None when it may.

    Race-safe under the review's row lock: the target's latest succeeded attempt can only
    change after a revision re-opens it, which first resets this (locked) review."""
    gate = snapshot.job_spec(run, job_id).review
    if gate is None:
        return None
    _, did = author(ctx, run, gate.target)
    decision = provenance.may_review(reviewer, did, allow_same_provider=gate.allow_same_provider)
    if decision.allowed:
        return None
    return errors.SameProviderReview(
        f"review {job_id} judges {gate.target}, which was done by {decision.identity}, "
        f"the provider of this session: it may not review it (co-blindness) unless the "
        f"gate sets {SAME_PROVIDER_OPTION}: true",
        hint="claim it from a session of another provider (register-session --provider), "
        "or set allow_same_provider: true on the review gate in the workflow",
        job_id=job_id,
        target=gate.target,
        provider=decision.identity,
        option=SAME_PROVIDER_OPTION,
        run_id=run.run_id,
    )

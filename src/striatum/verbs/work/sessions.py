"""register-session, session.close, claim-next, heartbeat, release, lease.transfer, fail."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from striatum import errors
from striatum.engine import leases, outcomes, packets, progress, scope_rule, workers
from striatum.engine.context import Context
from striatum.engine.ids import new_id
from striatum.model import tokens as token_rules
from striatum.model.engine.states import JobState, RunState
from striatum.model.roles import Role
from striatum.store import chains, runs, tokens, work
from striatum.verbs.repos import adoption
from striatum.verbs.work import usage

MAX_TTL_S = 3600


def register_session(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    provider, model = params.get("provider"), params.get("model")
    if provider == "command" and not model:
        raise errors.ValidationError(
            "--provider command needs --model: the label of the model behind the command "
            "(the co-blindness rule compares it)",
            parameter="model",
        )
    repo_id = None
    if params.get("repo"):
        repo_id = adoption.resolve(ctx, params["repo"]).repo_id
    session = work.insert_session(
        ctx.conn,
        session_id=new_id("ses"),
        repo_id=repo_id,
        role=params["role"],
        lane=params.get("lane"),
        token_id=ctx.caller.token_id,
        provider=provider,
        model=model,
    )
    return {
        "session_id": session.session_id,
        "role": session.role.value,
        "lane": session.lane,
        "provider": session.provider,
        "model": session.model,
        "next": f"striatum claim-next --session {session.session_id}",
    }


def close_session(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    work.get_session(ctx.conn, params["session"])
    if not work.close_session(ctx.conn, params["session"]):
        raise errors.Conflict(f"session {params['session']} is already closed")
    return {"session_id": params["session"], "closed": True}


def claim_next(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    return claim(
        ctx,
        params["session"],
        lane=params.get("lane"),
        run_id=params.get("run_id"),
        job_id=params.get("job"),
        ttl_s=_ttl(params),
    )


def claim(
    ctx: Context,
    session_id: str,
    *,
    lane: str | None,
    run_id: str | None,
    job_id: str | None = None,
    ttl_s: int = leases.DEFAULT_TTL_S,
    locked: runs.Run | None = None,
    session: work.Session | None = None,
) -> dict[str, Any]:
    """Lease the next ready job to the session (`claim-next`, and `complete --then-claim`):
    its work packet, or why none was claimed. `locked`: the run, when the caller holds its
    lock already (its job is then locked after it: a claim skips locked jobs, never waits);
    `session`: the session's row, when the caller read it already."""
    session = _open_session(ctx, session_id, session)
    lane = lane or session.lane
    skipped: list[tuple[str, str]] = []  # reviews this session may not do
    waiting: list[errors.Conflict] = []  # jobs whose scope overlaps a running job's
    passed: list[tuple[str, str]] = []  # and their (run, job)
    while True:
        found = _find(ctx, run_id, job_id, session, lane, skipped, passed)
        if found is None:
            parked = [] if run_id is None else runs.parked_jobs(ctx.conn, run_id)
            if job_id is not None:
                parked = [row for row in parked if row[0] == job_id]
            return {
                "claimed": False,
                "reason": _nothing_reason(lane, skipped)
                + _waiting_reason(waiting)
                + _parked_reason(parked),
                "skipped": [{"run_id": r, "job_id": j} for r, j in skipped],
            }
        if locked is not None and locked.run_id == found.run_id:
            run = locked
        else:
            run = runs.lock(ctx.conn, found.run_id)
        if run.state != RunState.RUNNING:
            # The run changed between the job lock and the run lock: let the caller try again.
            return {"claimed": False, "reason": "raced with another transition; claim again"}
        if not run.repo_here:  # its agent would have no checkout here to work in
            if job_id or run_id:
                run.checkout()  # raises, saying so
            passed.append((found.run_id, found.job_id))
            continue
        overlap = scope_rule.overlap_refusal(ctx, run, found.job_id)
        if overlap is None:
            break
        if job_id:
            raise overlap
        waiting.append(overlap)  # its row stays locked until commit: the next ready one
        passed.append((found.run_id, found.job_id))
    job = found  # row-locked by the claim: what it read is what holds
    worker = workers.of_session(run, job.lane, session)
    attempt = job.attempt + 1  # the job's row is locked: no other claim numbers it
    minted = token_rules.mint()
    lease_id = new_id("lease")
    leased = progress.move_event(
        ctx,
        run,
        job,
        JobState.LEASED,
        reason="claimed",
        new_attempt=attempt,
        lease_id=lease_id,
        attempt=attempt,
        session_id=session.session_id,
        **worker.recorded(),
    )
    lease, inputs = work.insert_attempt_and_lease(  # the job's move, its event, its inputs
        ctx.conn,
        token=minted,
        token_label=f"lane token for {job.job_id}",
        worker=worker,
        revision_verdict_id=(job.revision_verdicts[-1] if job.revision_verdicts else None),
        events=chains.events_arguments(
            repo_id=run.repo_id, run_id=run.run_id, actor=ctx.actor, events=[leased]
        ),
        input_jobs=job.depends_on,
        lease_id=lease_id,
        run_id=run.run_id,
        job_id=job.job_id,
        attempt=attempt,
        session_id=session.session_id,
        holder=ctx.actor,
        lane=job.lane,
        ttl_s=ttl_s,
    )
    secret = minted.secret
    job = dataclasses.replace(job, state=JobState.LEASED, attempt=attempt)
    packet = packets.build(ctx, run, job, attempt, lease, secret, ttl_s, inputs)
    return {"claimed": True, **packet, "worker": worker.recorded()}


def _open_session(ctx: Context, session_id: str, read: work.Session | None = None) -> work.Session:
    session = read if read is not None else work.get_session(ctx.conn, session_id)
    if session.closed_at is not None:
        raise errors.Conflict(f"session {session_id} is closed")
    return session


def _find(
    ctx: Context,
    run_id: str | None,
    job_id: str | None,
    session: work.Session,
    lane: str | None,
    skipped: list[tuple[str, str]],
    passed: list[tuple[str, str]],
) -> runs.JobRow | None:
    """The next ready job this session may do, row-locked, past those in `skipped` and
    `passed`. A review of work done by the session's own provider is refused when asked for
    by id, else skipped and added to `skipped` (another session may take it); skipped rows
    stay locked until commit, which only hides them from racing claims."""
    while True:
        found = work.claim_next(
            ctx.conn,
            lane=lane,
            run_id=run_id,
            job_id=job_id,
            skip=(*skipped, *passed),
        )
        if found is None or found.kind != "review":
            return found
        run = runs.get(ctx.conn, found.run_id)
        reviewer = workers.of_session(run, found.lane, session)
        refusal = workers.review_refusal(ctx, run, found.job_id, reviewer)
        if refusal is None:
            return found
        if job_id:
            raise refusal
        skipped.append((found.run_id, found.job_id))


def _waiting_reason(waiting: list[errors.Conflict]) -> str:
    """Why ready jobs were passed over: their write scope overlaps a running job's."""
    if not waiting:
        return ""
    shown = "; ".join(refusal.message for refusal in waiting[:3])
    more = f" (and {len(waiting) - 3} more)" if len(waiting) > 3 else ""
    return f"; waiting for their write scope to be free: {shown}{more}"


def _nothing_reason(lane: str | None, skipped: list[tuple[str, str]]) -> str:
    reason = "no ready job" + (f" on lane {lane}" if lane else "")
    if skipped:
        reason += (
            f"; skipped {len(skipped)} review(s) of work this session's provider did "
            f"(co-blindness): {', '.join(job for _, job in skipped)}"
        )
    return reason


def _parked_reason(parked: list[tuple[str, str | None, dt.datetime]]) -> str:
    """Why a ready job was not claimed: a rate or usage limit parked it until its time."""
    if not parked:
        return ""
    job_id, _, until = parked[0]
    if len(parked) == 1:
        return f"; {job_id} is parked by a rate or usage limit until {until.isoformat()}"
    return (
        f"; {len(parked)} jobs are parked by a rate or usage limit, the first ({job_id}) "
        f"until {until.isoformat()}"
    )


def _mint_lane_token(ctx: Context, lease_id: str, job_id: str) -> str:
    minted = token_rules.mint()
    tokens.insert(
        ctx.conn,
        minted,
        role=Role.LANE,
        label=f"lane token for {job_id}",
        expires_at=None,
        lease_id=lease_id,
    )
    work.set_lease_token(ctx.conn, lease_id, minted.token_id)
    return minted.secret


def heartbeat(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    found = leases.held(ctx, params["lease"])
    expires_at = work.heartbeat(ctx.conn, found.lease.lease_id, _ttl(params))
    return {"lease_id": found.lease.lease_id, "expires_at": expires_at}


def release(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    found = leases.held(ctx, params["lease"])
    progress.end_lease(  # and the job back to ready, in the same statement
        ctx,
        found.run,
        found.job,
        found.lease.lease_id,
        lease_outcome="released",
        attempt_state="cancelled",
        reason="released by its holder",
        then=[progress.move_event(ctx, found.run, found.job, JobState.READY, reason="released")],
    )
    return {
        "lease_id": found.lease.lease_id,
        "job_id": found.job.job_id,
        "state": "ready",
        "ready": progress.now_ready(ctx, found.run),
    }


def transfer(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """Hand a live lease to another session without a new attempt; a new lane token."""
    found = leases.held(ctx, params["lease"])
    session = _open_session(ctx, params["session"])
    worker = workers.of_session(found.run, found.job.lane, session)
    if found.job.kind == "review":
        refusal = workers.review_refusal(ctx, found.run, found.job.job_id, worker)
        if refusal is not None:
            raise refusal
    work.set_attempt_worker(
        ctx.conn,
        run_id=found.run.run_id,
        job_id=found.job.job_id,
        attempt=found.job.attempt,
        worker=worker,
    )
    lease_id = found.lease.lease_id
    expires_at = work.transfer(
        ctx.conn,
        lease_id=lease_id,
        session_id=session.session_id,
        holder=ctx.actor,
        ttl_s=_ttl(params),
    )
    work.end_lease_tokens(ctx.conn, lease_id)
    secret = _mint_lane_token(ctx, lease_id, found.job.job_id)
    progress.emit(
        ctx,
        found.run,
        "lease.transferred",
        found.job.job_id,
        lease_id=lease_id,
        from_session=found.lease.session_id,
        to_session=session.session_id,
        **worker.recorded(),
    )
    return {
        "lease_id": lease_id,
        "session_id": session.session_id,
        "expires_at": expires_at,
        "token": secret,
        "attempt": found.job.attempt,
    }


def fail(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    found = leases.held(ctx, params["lease"])
    usage.record_carried(ctx, found, params)
    reason = params["reason"]
    progress.end_lease(
        ctx,
        found.run,
        found.job,
        found.lease.lease_id,
        lease_outcome="failed",
        attempt_state="failed",
        reason=reason,
    )
    outcomes.after_failure(
        ctx, found.run, found.job, why=reason, permanent=bool(params.get("permanent"))
    )
    run = progress.advance(ctx, runs.get(ctx.conn, found.run.run_id))
    job = runs.job(ctx.conn, run.run_id, found.job.job_id)
    return {
        "job_id": job.job_id,
        "state": job.state.value,
        "attempt": job.attempt,
        "run_state": run.state.value,
        "ready": progress.now_ready(ctx, run),  # a retry, say
    }


def _ttl(params: dict[str, Any]) -> int:
    ttl = params.get("ttl_s")
    if ttl is None:
        ttl = leases.DEFAULT_TTL_S
    if not 1 <= ttl <= MAX_TTL_S:
        raise errors.ValidationError(
            f"--ttl-s must be between 1 and {MAX_TTL_S}", parameter="ttl_s"
        )
    return int(ttl)

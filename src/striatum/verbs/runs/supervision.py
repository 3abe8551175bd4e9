"""supervisor.register, supervisor.leave, and `run start` on a run whose supervisor is gone.

A supervised run's supervisor registers itself (host, pid, process identity, session) when it
holds the run and says when it leaves; the daemon of that host resumes the run when its
supervisor is gone (`striatum.daemon.resume`). Each change to a live run appends an event.
"""

from __future__ import annotations

from typing import Any

from striatum import errors
from striatum.engine import outcomes, progress
from striatum.engine.context import Context
from striatum.lanes import liveness
from striatum.model.engine.states import RunState
from striatum.model.engine.supervision import (
    Supervision,
    gone,
    rebooted_since,
    restart_refusal,
)
from striatum.store import runs, supervisors, tokens, work

ENDED = (RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED)


def register(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """Record the supervisor. After a reboot, end the leases the earlier supervisor of this
    host left (none of its processes can be alive); otherwise they expire at their TTL."""
    _check_pid(params)
    run = runs.lock(ctx.conn, params["run_id"])
    work.get_session(ctx.conn, params["session"])  # NotFound names it
    previous = supervisors.lock(ctx.conn, run.run_id)
    found = supervisors.register(
        ctx.conn,
        run.run_id,
        host=params["host"],
        pid=params["pid"],
        identity=params.get("identity"),
        session_id=params["session"],
    )
    if run.state not in ENDED:
        progress.emit(
            ctx,
            run,
            "run.supervisor_registered",
            host=found.host,
            pid=found.pid,
            session_id=found.session_id,
            supervised=found.supervised,
        )
    ended = []
    if previous is not None and previous.host == found.host and rebooted_since(previous, found):
        ended = _end_orphaned_leases(ctx, run, previous, found)
    return {"run_id": run.run_id, "supervision": found.to_dict(), "ended_leases": ended}


def _end_orphaned_leases(
    ctx: Context, run: runs.Run, previous: Supervision, now: Supervision
) -> list[str]:
    """End the live leases of the earlier supervisor's session, as the sweep would once they
    expired (the job goes back to ready as a new attempt, or fails), without the wait."""
    if previous.session_id in (None, now.session_id):
        return []
    jobs = {j.job_id: j for j in runs.jobs(ctx.conn, run.run_id)}
    ended = []
    for candidate in work.live_leases_unlocked(ctx.conn, run.run_id):
        if candidate.session_id != previous.session_id:
            continue
        lease, _, _ = work.lock_lease(ctx.conn, candidate.lease_id)
        job = jobs[lease.job_id]
        why = (
            f"lease {lease.lease_id} ended: its supervisor (pid {previous.pid or '?'} on "
            f"{previous.host}) is gone, and pid {now.pid} took the run over"
        )
        outcomes.expire(ctx, run, job, lease.lease_id, why=why)
        ended.append(lease.lease_id)
    if ended:
        progress.advance(ctx, runs.get(ctx.conn, run.run_id))
    return ended


def leave(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    _check_pid(params)
    run = runs.lock(ctx.conn, params["run_id"])
    found = supervisors.left(ctx.conn, run.run_id, host=params["host"], pid=params["pid"])
    if found is not None and run.state not in ENDED:
        progress.emit(
            ctx,
            run,
            "run.supervisor_left",
            host=params["host"],
            pid=params["pid"],
            outcome=params.get("outcome"),
            resumed_by=f"the daemon on {found.host}" if found.supervised else None,
        )
    return {"run_id": run.run_id, "left": found is not None}


def _check_pid(params: dict[str, Any]) -> None:
    if params["pid"] <= 0:
        raise errors.ValidationError("--pid must be a process id (> 0)", parameter="pid")


def is_gone(ctx: Context, found: Supervision) -> bool:
    """Whether the run's supervisor is gone, as seen from this daemon's host (a process of
    another host reads as there: only its own daemon can tell)."""
    here = found.host == ctx.daemon.host
    if found.state == "supervising" and not here:
        return False
    identity = liveness.identity(found.pid) if found.pid and here else None
    return gone(found, identity_now=identity, now=tokens.now(ctx.conn))


def still_there(ctx: Context, found: Supervision | None) -> str | None:
    """Why another supervisor must not be launched now (the run's own is running, starting or
    on another host), or None: for `run start`, `run retry` and `run clean` alike."""
    if found is None:
        return None
    return restart_refusal(found, host=ctx.daemon.host, is_gone=is_gone(ctx, found))


def restart(ctx: Context, run: runs.Run) -> Supervision:
    """`run start` on a running run: launch a supervisor again when its own is gone; refuse
    (Conflict, naming the pid and host) while it is there."""
    found = supervisors.lock(ctx.conn, run.run_id)
    refusal = still_there(ctx, found)
    if refusal is not None:
        raise errors.Conflict(
            refusal, run_id=run.run_id, hint=f"striatum status --run-id {run.run_id}"
        )
    resumed = supervisors.record_launch(
        ctx.conn, run.run_id, supervised=True, host=ctx.daemon.host, resumed=True
    )
    progress.emit(
        ctx,
        run,
        "run.supervisor_resumed",
        by=ctx.actor,
        how="run start",
        host=ctx.daemon.host,
        gone_pid=None if found is None else found.pid,
        gone_host=None if found is None else found.host,
    )
    return resumed

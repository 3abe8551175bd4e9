"""Finding the lease a work verb acts on, with the locks taken in one order: run, jobs, lease."""

from __future__ import annotations

from dataclasses import dataclass

from striatum import errors
from striatum.engine.context import Context
from striatum.model.roles import Role
from striatum.store import runs, work
from striatum.store.runs import JobRow, Run
from striatum.store.work import Lease

DEFAULT_TTL_S = 120


@dataclass(frozen=True, kw_only=True)
class Held:
    run: Run
    job: JobRow
    lease: Lease
    session: work.Session | None  # the session that claimed the lease, if one did


def held(ctx: Context, lease_id: str) -> Held:
    """The live lease `lease_id` of a running job; refused when ended, expired, or not the
    caller's (a lane token acts only on its own lease)."""
    if ctx.caller.role == Role.LANE and ctx.caller.lease_id != lease_id:
        raise errors.PermissionDenied(
            f"this lane token acts only on lease {ctx.caller.lease_id}, not {lease_id}",
            lease_id=lease_id,
        )
    run_row, (lease, job, session) = work.lock_held(ctx.conn, lease_id)
    run = runs.of_row(ctx.conn, run_row)
    if lease.ended_at is not None:
        raise errors.Conflict(
            f"lease {lease_id} has ended ({lease.outcome})",
            lease_id=lease_id,
            outcome=lease.outcome,
        )
    if lease.expired:
        raise errors.Conflict(
            f"lease {lease_id} expired; the job will be recovered",
            hint="claim again",
            lease_id=lease_id,
        )
    return Held(run=run, job=job, lease=lease, session=session)

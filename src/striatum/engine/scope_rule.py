"""The scheduling rule a claim enforces: two write jobs of one run whose code scopes overlap
never hold live leases at once (docs/SPEC.md §10). Checked by the claim itself, under the
run's lock, against the run's live leases in the database: whichever supervisor, worker or
operator claims, on whatever host, the rule holds."""

from __future__ import annotations

from striatum import errors
from striatum.engine import snapshot
from striatum.engine.context import Context
from striatum.model.workflow.paths import code_scopes, overlapping
from striatum.store import work
from striatum.store.runs import Run


def overlap_refusal(ctx: Context, run: Run, job_id: str) -> errors.Conflict | None:
    """Why `job_id` may not be leased now (its code scope overlaps a live lease's job's), or
    None. The caller holds the run's lock, which every claim and lease end of the run takes:
    the live leases read here cannot change before it commits. A job that writes only
    artifacts (under the artifact root) never overlaps: costs no read."""
    root = snapshot.artifact_root(run)
    mine = code_scopes(snapshot.write_scope(run, job_id), root)
    if not mine:
        return None
    for lease in work.live_leases_unlocked(ctx.conn, run.run_id):
        if lease.job_id == job_id:
            continue
        pair = overlapping(mine, code_scopes(snapshot.write_scope(run, lease.job_id), root))
        if pair is not None:
            return errors.Conflict(
                f"{job_id} may not start while {lease.job_id} runs: its write scope "
                f"{pair[0]!r} overlaps {lease.job_id}'s {pair[1]!r}",
                hint=f"claim it once {lease.job_id} has ended",
                job_id=job_id,
                running=lease.job_id,
                run_id=run.run_id,
            )
    return None

"""Budgets (docs/SPEC.md §9, budgets): a run's, and its lanes'. The usage report that reaches
one pauses the run with a `budget` blocker; attempts already running finish, unless the
budget is hard: then they are stopped and their jobs wait, ready, with no attempt counted.
Only the principal lifts it, by raising the budget (`run budget`), or ends the run.
"""

from __future__ import annotations

from striatum.engine import outcomes, progress
from striatum.engine.context import Context
from striatum.engine.ids import new_id
from striatum.model.engine.records import BlockerKind, BlockerReason
from striatum.model.engine.states import JobState, RunState
from striatum.store import records, runs, work
from striatum.store import usage as usage_rows
from striatum.store.runs import Run
from striatum.store.usage import Spend


def reached(ctx: Context, run: Run, spends: list[Spend], *, ending: str | None = None) -> None:
    """After a usage report (or a budget lowered): a run past a budget waits for the human,
    one paused by hand too, so that `run resume` cannot pass the budget. A hard budget also
    stops the attempts running under it, except `ending`, the lease whose end is reporting."""
    over = [spend for spend in spends if spend.reached]
    if not over or run.state not in (RunState.RUNNING, RunState.PAUSED):
        return
    for spend in over:
        if spend.hard:
            _stop_running(ctx, run, spend, ending)
    if open_blocker(ctx, run.run_id) is not None:  # already waiting on the principal
        return
    if run.state == RunState.RUNNING:
        runs.set_state(ctx.conn, run.run_id, RunState.PAUSED)
    _open(ctx, run, over)


def review(ctx: Context, run: Run) -> list[Spend]:
    """After a budget changed: the run's blocker is resolved (and a run it paused resumes)
    once no budget is spent, and opened when one is (lowered below what was spent); the
    budgets still spent."""
    over = [spend for spend in usage_rows.spends(ctx.conn, run.run_id) if spend.reached]
    blocker = open_blocker(ctx, run.run_id)
    if over or blocker is None:
        reached(ctx, run, over)
        return over
    records.resolve_blocker(
        ctx.conn,
        blocker_id=blocker.blocker_id,
        resolution="budget raised",
        resolved_by=ctx.actor,
        outcome="raised",
    )
    if run.state == RunState.PAUSED:
        runs.set_state(ctx.conn, run.run_id, RunState.RUNNING)
        progress.emit(ctx, run, "run.resumed", why="budget raised")
    return over


def open_blocker(ctx: Context, run_id: str) -> records.Blocker | None:
    """The run's open budget blocker, if it waits on one."""
    return next(
        (b for b in records.open_blockers(ctx.conn, run_id) if b.kind == BlockerKind.BUDGET),
        None,
    )


def describe(spend: Spend) -> str:
    """'the run: $0.51 of its $0.50 budget' (and tokens, where limited; 'lane x' for a lane's;
    ', hard' for a hard one)."""
    parts = []
    if spend.budget_usd is not None:
        parts.append(f"${spend.spent_usd:,.2f} of its ${spend.budget_usd:,.2f} budget")
    if spend.budget_tokens is not None:
        parts.append(f"{spend.spent_tokens:,} of its {spend.budget_tokens:,} tokens")
    said = " and ".join(parts) or f"${spend.spent_usd:,.2f}, {spend.spent_tokens:,} tokens"
    whose = "the run" if spend.lane is None else f"lane {spend.lane}"
    return f"{whose} spent {said}" + (" (hard: running attempts stopped)" if spend.hard else "")


def _open(ctx: Context, run: Run, over: list[Spend]) -> None:
    reason = "; ".join(describe(spend) for spend in over)
    blocker_id = new_id("blk")
    records.insert_blocker(
        ctx.conn,
        blocker_id=blocker_id,
        run_id=run.run_id,
        job_id=None,
        kind=BlockerKind.BUDGET.value,
        reason=reason,
        opened_by=ctx.actor,
        reason_kind=BlockerReason.BUDGET.value,
    )
    progress.emit(
        ctx,
        run,
        "run.budget_reached",
        blocker_id=blocker_id,
        reached=[spend.to_dict() for spend in over],
    )
    progress.notice(ctx, run, "budget", blocker_id=blocker_id, reason=reason)


def _stop_running(ctx: Context, run: Run, spend: Spend, ending: str | None) -> None:
    """A hard budget reached: its running attempts end `cancelled` (not counted against the
    job's max_attempts) and their jobs are ready again for when the budget is raised; the
    supervisor's next heartbeat of each lease is refused, and it stops the agent."""
    why = f"stopped: {describe(spend)}"
    for lease in work.live_leases(ctx.conn, run.run_id):
        if lease.lease_id == ending or (spend.lane is not None and lease.lane != spend.lane):
            continue
        job = runs.job(ctx.conn, run.run_id, lease.job_id)
        outcomes.cancel_attempt(ctx, run, job, lease.lease_id, why)
        progress.move_job(ctx, run, job, JobState.READY, reason=why, attempt=job.attempt)

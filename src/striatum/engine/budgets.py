"""A run's budget (docs/SPEC.md §9, budgets): the usage report that reaches it pauses the run
with a `budget` blocker; attempts already running finish; only the principal lifts it, by
raising the budget (`run budget`), or ends the run (`run cancel`).
"""

from __future__ import annotations

from striatum.engine import progress
from striatum.engine.context import Context
from striatum.engine.ids import new_id
from striatum.model.engine.records import BlockerKind, BlockerReason
from striatum.model.engine.states import RunState
from striatum.store import records, runs
from striatum.store.runs import Run
from striatum.store.usage import Spend


def reached(ctx: Context, run: Run, spend: Spend) -> None:
    """After a usage report: a run that reached its budget pauses for the human (one paused
    by hand too waits on the blocker, so that `run resume` cannot pass the budget)."""
    if not spend.reached or run.state not in (RunState.RUNNING, RunState.PAUSED):
        return
    if open_blocker(ctx, run.run_id) is not None:  # already waiting on the principal
        return
    if run.state == RunState.RUNNING:
        runs.set_state(ctx.conn, run.run_id, RunState.PAUSED)
    reason = f"spent {describe(spend)}"
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
    progress.emit(ctx, run, "run.budget_reached", blocker_id=blocker_id, **spend.to_dict())
    progress.notice(ctx, run, "budget", blocker_id=blocker_id, reason=reason)


def open_blocker(ctx: Context, run_id: str) -> records.Blocker | None:
    """The run's open budget blocker, if it waits on one."""
    return next(
        (b for b in records.open_blockers(ctx.conn, run_id) if b.kind == BlockerKind.BUDGET),
        None,
    )


def describe(spend: Spend) -> str:
    """'$0.51 of its $0.50 budget' (and tokens, where limited)."""
    parts = []
    if spend.budget_usd is not None:
        parts.append(f"${spend.spent_usd:,.2f} of its ${spend.budget_usd:,.2f} budget")
    if spend.budget_tokens is not None:
        parts.append(f"{spend.spent_tokens:,} of its {spend.budget_tokens:,} tokens")
    return " and ".join(parts) or f"${spend.spent_usd:,.2f}, {spend.spent_tokens:,} tokens"

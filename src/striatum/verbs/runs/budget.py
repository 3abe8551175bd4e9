"""`run budget`: the principal raises (or lowers, or lifts, or hardens) a run's budget or a
lane's within the run; a run a budget paused resumes once it is under every one
(docs/SPEC.md §9, budgets)."""

from __future__ import annotations

from typing import Any

from striatum import errors
from striatum.engine import budgets, progress, snapshot
from striatum.engine.context import Context
from striatum.model.budget_amounts import dollars
from striatum.model.engine.states import TERMINAL_RUN, RunState
from striatum.store import runs
from striatum.store import usage as usage_rows
from striatum.store.usage import Spend


def set_budget(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("usd") is None and params.get("tokens") is None and not params.get("hard"):
        raise errors.ValidationError("give --usd, --tokens or --hard", parameter="usd")
    run = runs.lock(ctx.conn, params["run_id"])
    if run.state in TERMINAL_RUN:
        raise errors.Conflict(f"run {run.run_id} already ended ({run.state.value})")
    lane = params.get("lane")
    if lane is not None and snapshot.lane_spec(run, lane) is None:
        known = ", ".join(sorted(snapshot.workflow(run).lanes))
        raise errors.ValidationError(
            f"run {run.run_id} has no lane {lane!r} (its lanes: {known})", parameter="lane"
        )
    before = _current(ctx, run.run_id, lane)
    usd = before.budget_usd if params.get("usd") is None else dollars(params["usd"], "usd")
    tokens = before.budget_tokens
    if params.get("tokens") is not None:
        tokens = _tokens(params["tokens"])
    hard = before.hard if params.get("hard") is None else params["hard"] == "yes"
    if params.get("hard") == "yes" and usd is None and tokens is None:
        raise errors.ValidationError(
            "--hard yes needs a budget to reach: give --usd or --tokens too", parameter="hard"
        )
    if lane is None:
        spend = usage_rows.set_budget(ctx.conn, run.run_id, usd=usd, tokens=tokens, hard=hard)
    else:
        spend = usage_rows.set_lane_budget(
            ctx.conn, run.run_id, lane, usd=usd, tokens=tokens, hard=hard
        )
    progress.emit(
        ctx,
        run,
        "run.budget_changed",
        **spend.to_dict(),
        previous_usd=before.budget_usd,
        previous_tokens=before.budget_tokens,
        previous_hard=before.hard,
    )
    still = budgets.review(ctx, run)
    state = runs.get(ctx.conn, run.run_id).state
    return {
        "run_id": run.run_id,
        "state": state.value,
        "resumed": run.state == RunState.PAUSED and state == RunState.RUNNING,
        **spend.to_dict(),
        "still_reached": [budgets.describe(over) for over in still],
    }


def _current(ctx: Context, run_id: str, lane: str | None) -> Spend:
    """The budget being changed as it stands (a lane without one: none yet)."""
    found = [s for s in usage_rows.spends(ctx.conn, run_id) if s.lane == lane]
    if found:
        return found[0]
    return Spend(
        lane=lane, budget_usd=None, budget_tokens=None, hard=False, spent_usd=0, spent_tokens=0
    )


def _tokens(count: int) -> int | None:
    """A budget in tokens (0 lifts the limit)."""
    if not 0 <= count <= 10**12:
        raise errors.ValidationError(
            "--tokens must be from 0 (no limit) to 10^12", parameter="tokens"
        )
    return count or None

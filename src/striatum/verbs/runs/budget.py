"""`run budget`: the principal raises (or lowers, or lifts) a run's budget; a run its budget
paused resumes once it is under the new one (docs/SPEC.md §9, budgets)."""

from __future__ import annotations

import math
from typing import Any

from striatum import errors
from striatum.engine import budgets, progress
from striatum.engine.context import Context
from striatum.model.engine.states import RunState
from striatum.store import records, runs
from striatum.store import usage as usage_rows

ENDED = (RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED)


def set_budget(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("usd") is None and params.get("tokens") is None:
        raise errors.ValidationError("give --usd, --tokens or both", parameter="usd")
    run = runs.lock(ctx.conn, params["run_id"])
    if run.state in ENDED:
        raise errors.Conflict(f"run {run.run_id} already ended ({run.state.value})")
    before = usage_rows.budget(ctx.conn, run.run_id)
    usd = before.budget_usd if params.get("usd") is None else dollars(params["usd"], "usd")
    tokens = before.budget_tokens
    if params.get("tokens") is not None:
        tokens = _tokens(params["tokens"])
    spend = usage_rows.set_budget(ctx.conn, run.run_id, usd=usd, tokens=tokens)
    progress.emit(
        ctx,
        run,
        "run.budget_changed",
        **spend.to_dict(),
        previous_usd=before.budget_usd,
        previous_tokens=before.budget_tokens,
    )
    blocker = budgets.open_blocker(ctx, run.run_id)
    resumed = False
    if blocker is not None and not spend.reached:
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
            resumed = True
    state = runs.get(ctx.conn, run.run_id).state
    return {"run_id": run.run_id, "state": state.value, "resumed": resumed, **spend.to_dict()}


def dollars(text: str, parameter: str) -> float | None:
    """A budget in US dollars, as given ('none' lifts the limit)."""
    if text.strip().lower() == "none":
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0 < value <= 1_000_000:
        raise errors.ValidationError(
            f"--{parameter.replace('_', '-')} must be dollars above 0 and at most 1000000 "
            f"(or none), not {text!r}",
            parameter=parameter,
        )
    return value


def _tokens(count: int) -> int | None:
    """A budget in tokens (0 lifts the limit)."""
    if not 0 <= count <= 10**12:
        raise errors.ValidationError(
            "--tokens must be from 0 (no limit) to 10^12", parameter="tokens"
        )
    return count or None

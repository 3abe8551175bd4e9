"""Recording what an attempt used, and a run's totals (docs/SPEC.md §9, usage).

Each report is an `attempt.usage` event in the repository's chain (the evidence) and a row
of `attempt_usage` beside it (what totals are summed from). An attempt's usage is the sum of
its reports; one that reported nothing counts as unreported in every total, never as free.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from striatum.engine import budgets, progress
from striatum.engine.context import Context
from striatum.model import usage as usage_model
from striatum.model.usage import Usage
from striatum.store import usage as usage_rows
from striatum.store.runs import Run
from striatum.store.usage import Spend


def record(
    ctx: Context,
    run: Run,
    job_id: str,
    attempt: int,
    usage: Usage,
    *,
    ending: str | None = None,
) -> list[Spend]:
    """One report of what the attempt used, in the caller's transaction; the report that
    reaches a budget of the run or of the job's lane pauses the run (`budgets.reached`;
    `ending`: the lease whose end carries the report, which a hard budget does not stop)."""
    appended = progress.emit(
        ctx, run, "attempt.usage", job_id, attempt=attempt, **usage.to_payload()
    )
    spends = usage_rows.insert(
        ctx.conn,
        run_id=run.run_id,
        job_id=job_id,
        attempt=attempt,
        event_seq=appended.seq,
        usage=usage,
        reported_by=ctx.actor,
    )
    budgets.reached(ctx, run, spends, ending=ending)
    return spends


def of_run(ctx: Context, run_id: str) -> dict[str, Any]:
    """The run's usage: its total, and totals by job, lane and provider."""
    attempts = usage_rows.of_run(ctx.conn, run_id)
    groups: dict[str, dict[str, list[Usage | None]]] = {
        "by_job": defaultdict(list),
        "by_lane": defaultdict(list),
        "by_provider": defaultdict(list),
    }
    for row in attempts:
        groups["by_job"][row.job_id].append(row.usage)
        groups["by_lane"][row.lane or "(none)"].append(row.usage)
        groups["by_provider"][row.provider or "(unknown)"].append(row.usage)
    return {
        "total": usage_model.total(row.usage for row in attempts).to_payload(),
        **{
            name: {key: usage_model.total(found).to_payload() for key, found in grouped.items()}
            for name, grouped in groups.items()
        },
    }

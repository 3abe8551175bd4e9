"""run.task: prepare and start a run from a workflow a door composed from one sentence.

The door (CLI, MCP server, web UI) builds the workflow on the caller's machine, where the
agent CLIs are looked for, and writes it under the repository's `.striatum/tasks/`; here it is
prepared and started in one transaction, exactly as `run prepare` and `run start` would.
"""

from __future__ import annotations

from typing import Any

from striatum import errors
from striatum.engine.context import Context
from striatum.verbs.runs import lifecycle


def start_task(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    if not params.get("workflow"):  # a caller that reached the daemon without a door
        raise errors.ValidationError(
            "run.task needs the workflow its door composed from the sentence: start a task "
            'with `striatum task "..."`, the MCP tool run_task or the web UI',
            parameter="workflow",
        )
    prepared = lifecycle.prepare(
        ctx,
        {
            "workflow": params["workflow"],
            "repo": params.get("repo"),
            "budget_usd": params.get("budget_usd"),
        },
    )
    started = lifecycle.start(ctx, {"run_id": prepared["run_id"]})
    return {**prepared, **started, "workflow": params["workflow"]}

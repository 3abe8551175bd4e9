"""The preflight around `run prepare` and `run start`, on the machine that would run agents.

`run prepare` adds a warning per lane whose program is missing or broken; `run start` refuses
(agent_unavailable) before the daemon marks the run running, unless --no-supervise (the caller
drives the run, perhaps from another machine). Both read the run's lanes from `status`, the
snapshot a supervisor would launch from, with the caller's own authority.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from striatum import errors

if TYPE_CHECKING:
    from striatum.lanes.preflight import LaneCheck


def warn_on_prepare(result: dict[str, Any], local: dict[str, Any]) -> dict[str, Any] | None:
    """After-hook: the prepared run's result with the preflight's warnings added."""
    try:
        status = run_status(result["run_id"], local)
        checks = _checks(status)
    except errors.StriatumError as error:  # the run exists: never fail prepare over this
        extra = [
            {
                "path": "$.lanes",
                "severity": "warning",
                "message": f"agent CLIs not checked: {error.message}",
            }
        ]
    else:
        from striatum.lanes import preflight

        extra = preflight.warnings(checks)
        unsandboxed = preflight.sandbox_warning(status["lanes"])
        if unsandboxed:
            extra.append({"path": "$.lanes", "severity": "warning", "message": unsandboxed})
    return {**result, "warnings": [*result.get("warnings", []), *extra]} if extra else None


def refuse_on_start(params: dict[str, Any], local: dict[str, Any]) -> None:
    """Before-hook: raise agent_unavailable when a supervisor started here could not launch
    a lane's agent. A run that is not `prepared` is left to the daemon to refuse."""
    if params.get("no_supervise") or not params.get("run_id"):
        return  # nothing to check here: the daemon refuses a missing run id itself
    status = run_status(params["run_id"], local)
    if status["run"]["state"] != "prepared":
        return
    from striatum.lanes import preflight

    refusal = preflight.refusal(_checks(status))
    if refusal is not None:
        raise refusal


def run_status(run_id: str, local: dict[str, Any]) -> dict[str, Any]:
    """`status` of a run as the caller (their role or token), for a before/after hook."""
    from striatum.client import rpc

    found: dict[str, Any] = rpc.call(
        "status",
        {"run_id": run_id},
        as_role=local.get("caller_role"),
        token=local.get("caller_token"),
    )
    return found


def _checks(status: dict[str, Any]) -> list[LaneCheck]:
    from striatum.lanes import preflight

    run = status["run"]
    path = run.get("workflow_path")
    return preflight.check_lanes(
        status["lanes"], repo=run["repo"], workflow_dir=os.path.dirname(path) if path else None
    )

"""`striatum dashboard --run-id ID [--once]`: a compact terminal view of one run.

Draws from the `status` and `why` verbs, then waits for the run's next events with the
`events.wait` long poll (fed by the daemon's LISTEN/NOTIFY) and redraws as they arrive, or
after --interval seconds at the latest, until the run ends or Ctrl-C.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import click

from striatum import errors
from striatum.client import rpc
from striatum.model.terminal_text import visible

STATE_MARKS = {
    "pending": ".",
    "ready": "o",
    "leased": ">",
    "waiting": "?",
    "succeeded": "+",
    "failed": "x",
    "cancelled": "-",
}


def render(status: dict[str, Any], events: list[dict[str, Any]], width: int = 100) -> str:
    """One frame; each line escaped whole (agent text in a reason or a title can neither
    drive the terminal nor start a line), then cut at `width`."""
    run = status["run"]
    lines = [
        f"run {run['run_id']}  {run['workflow_id']}  {run['state'].upper()}"
        + (f"  ({run['ended_reason']})" if run.get("ended_reason") else "")
    ]
    leases = {lease["job_id"]: lease for lease in status["leases"]}
    for job in status["jobs"]:
        lease = leases.get(job["job_id"])
        age = f"  heartbeat {lease['heartbeat_age_s']}s ago" if lease else ""
        lines.append(
            f"  {STATE_MARKS.get(job['state'], ' ')} {job['job_id']:<22} "
            f"{job['state']:<10} attempt {job['attempt']:<2} "
            f"{job['lane'] or 'human'}/{job['provider'] or '-'}{age}"
        )
    for blocker in status["open_blockers"]:
        lines.append(
            f"  ! {blocker['kind']} {blocker['blocker_id']} on {blocker['job_id']}: "
            f"{blocker['reason']}"
        )
    lines.append("  last events:")
    for event in events[-8:]:
        lines.append(f"    {event['at'][11:19]} {event['type']:<22} {event['job_id'] or ''}")
    lines.append("  next: " + "; ".join(status["next_actions"]))
    return "\n".join(visible(line)[:width] for line in lines)


def show(run_id: str, *, once: bool, interval: float, as_role: str | None) -> None:
    while True:
        status = rpc.call("status", {"run_id": run_id}, as_role=as_role)
        events = rpc.call("why", {"id": run_id}, as_role=as_role)["events"]
        frame = render(status, events)
        if once:
            click.echo(frame)
            return
        click.echo("\x1b[2J\x1b[H" + frame)
        if status["run"]["state"] in ("succeeded", "failed", "cancelled"):
            return
        try:
            _wait_for_events(run_id, events[-1]["seq"] if events else 0, interval, as_role)
        except KeyboardInterrupt:
            sys.exit(errors.EXIT_INTERRUPTED)


def _wait_for_events(run_id: str, after_seq: int, interval: float, as_role: str | None) -> None:
    """Return when the run has new events, or after `interval` seconds (at least 1 s, at
    most 30, the long poll's limits; a daemon without events.wait falls back to sleeping)."""
    timeout = max(1, min(30, round(interval)))
    try:
        rpc.call(
            "events.wait",
            {"run_id": run_id, "after_seq": after_seq, "timeout_s": timeout},
            as_role=as_role,
        )
    except errors.UsageError:  # an older daemon: no such method
        time.sleep(interval)

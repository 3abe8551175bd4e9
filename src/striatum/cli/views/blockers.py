"""What waits for a human: `inbox`, `escalation list`, and the blocker block of `status`."""

from __future__ import annotations

from striatum.cli import humanize, layout
from striatum.cli.views import generic
from striatum.model.terminal_text import visible

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (checkers honour the name)
if TYPE_CHECKING:
    from datetime import datetime
    from typing import Any

    from striatum.cli.terminal import Screen


def block(blocker: dict[str, Any], screen: Screen, now: datetime) -> list[str]:
    """`! kind id on job, opened when by whom`, then the reason wrapped under it."""
    opened = humanize.scalar(blocker.get("opened_at"), now)
    head = (
        f"{blocker['kind']} {blocker['blocker_id']} on {blocker.get('job_id') or '-'}, "
        f"opened {opened} by {blocker.get('opened_by') or '-'}"
    )
    first = "  " + screen.paint("!", "yellow bold") + " "
    out = layout.wrap(visible(head), screen.width, indent="    ", first="    ")
    out[0] = first + out[0][4:]
    reason = visible(str(blocker.get("reason") or ""))
    return out + (layout.wrap(reason, screen.width, indent="      ") if reason else [])


def table(rows: list[dict[str, Any]], screen: Screen, now: datetime) -> list[str]:
    """One line per blocker, the reason last (cut to the screen: `escalation show` has it all)."""
    resolved = any(row.get("state") not in (None, "open") for row in rows)
    headers = ["BLOCKER", "KIND", "RUN", "JOB", "OPENED", *(["STATE"] if resolved else [])]
    lines = []
    for row in rows:
        cells = [row["blocker_id"], row["kind"], row.get("run_id"), row.get("job_id")]
        cells += [humanize.scalar(row.get("opened_at"), now)]
        cells += [row.get("state")] if resolved else []
        lines.append([visible(str(c or "-")) for c in cells] + [visible(str(row.get("reason")))])
    return layout.table([*headers, "REASON"], lines, screen, keep=frozenset({0}))


def inbox(result: dict[str, Any], screen: Screen, now: datetime) -> list[str]:
    waiting = result.get("waiting")
    if not isinstance(waiting, list):
        return generic.draw(result, screen, now)
    if not waiting:
        return ["nothing waits for you"]
    return table(waiting, screen, now)


def escalations(result: dict[str, Any], screen: Screen, now: datetime) -> list[str]:
    found = result.get("escalations")
    if not isinstance(found, list):
        return generic.draw(result, screen, now)
    return table(found, screen, now) if found else ["(no escalations)"]

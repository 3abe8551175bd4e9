"""`why`: a thing's events, oldest first, each with its payload as `k=v` under it."""

from __future__ import annotations

from striatum.cli import humanize, layout
from striatum.cli.views import generic
from striatum.model.terminal_text import visible

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (checkers honour the name)
if TYPE_CHECKING:
    from datetime import datetime
    from typing import Any

    from striatum.cli.terminal import Screen

# Payload keys the row already shows.
SHOWN = frozenset({"run_id", "job_id"})


def why(result: dict[str, Any], screen: Screen, now: datetime) -> list[str]:
    events = result.get("events")
    if not isinstance(events, list):
        return generic.draw(result, screen, now)
    out = [screen.paint(f"events of {visible(str(result.get('id')))} ({len(events)})", "bold")]
    out += event_lines(events, screen, now)
    rest = {k: v for k, v in result.items() if k not in ("id", "events")}
    return out + (generic.document(rest, screen, now) if rest else [])


def event_lines(events: list[dict[str, Any]], screen: Screen, now: datetime) -> list[str]:
    """A table of events (the run column only when they span runs), each row followed by
    its payload as `k=v`, dimmed and wrapped under it."""
    one_run = len({e.get("run_id") for e in events}) <= 1
    headers = ["SEQ", "WHEN", "TYPE", *([] if one_run else ["RUN"]), "JOB", "ACTOR"]
    rows = []
    for event in events:
        row = [str(event.get("seq")), humanize.scalar(event.get("at"), now), event.get("type")]
        row += [] if one_run else [event.get("run_id")]
        row += [event.get("job_id"), event.get("actor")]
        rows.append([visible(str(cell or "-")) for cell in row])
    table = layout.table(headers, rows, screen, indent="  ", keep=frozenset({0, 2}))
    out = [table[0]]
    for event, line in zip(events, table[1:], strict=True):
        out.append(line)
        out += [screen.paint(part, "dim") for part in _payload(event, screen, now)]
    return out


def _payload(event: dict[str, Any], screen: Screen, now: datetime) -> list[str]:
    payload = event.get("payload")
    if not isinstance(payload, dict):
        return []
    kept = {k: v for k, v in payload.items() if k not in SHOWN}
    if not kept:
        return []
    return layout.wrap(humanize.summary(kept, now), screen.width, indent="        ")

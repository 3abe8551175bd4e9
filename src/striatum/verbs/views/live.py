"""events.wait: a long poll for live views.

The daemon's server does the waiting before the request's transaction begins (see
`daemon/server.py`): it subscribes to the LISTEN/NOTIFY fan-out, asks `has_news` once, and
waits at most `timeout_s` for a notification. The handler then runs like any verb, in one
short transaction with its one audit row, and reports what is new.

Cursors: with `run_id`, `after_seq` is a seq of the run's repository chain and the answer
lists the run's events after it; without, it is the total number of events in all
repository chains (the answer's `last_seq`), and the answer lists none.
"""

from __future__ import annotations

from typing import Any

from striatum import errors
from striatum.engine.context import Context
from striatum.model.engine.states import TERMINAL_RUN
from striatum.store import connection as db
from striatum.store import feed, runs

MAX_TIMEOUT_S = 30
MAX_EVENTS = 200


def check(params: dict[str, Any]) -> None:
    if not 1 <= params["timeout_s"] <= MAX_TIMEOUT_S:
        raise errors.ValidationError(
            f"--timeout-s must be between 1 and {MAX_TIMEOUT_S}", parameter="timeout_s"
        )
    if params["after_seq"] < 0:
        raise errors.ValidationError("--after-seq must not be negative", parameter="after_seq")


def has_news(conn: db.Conn, params: dict[str, Any]) -> bool:
    """True when the cursor is already behind, or the run has ended (nothing will come):
    answer at once instead of waiting."""
    run_id = params.get("run_id")
    if not run_id:
        return bool(feed.event_total(conn) > params["after_seq"])
    if runs.get(conn, run_id).state in TERMINAL_RUN:
        return True
    return bool(feed.last_seq(conn, run_id) > params["after_seq"])


def wait(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    check(params)
    run_id = params.get("run_id")
    if not run_id:
        return {
            "run_id": None,
            "events": [],
            "last_seq": feed.event_total(ctx.conn),
            "run_state": None,
        }
    run = runs.get(ctx.conn, run_id)
    events = feed.events_after(ctx.conn, run_id, params["after_seq"], MAX_EVENTS)
    last = events[-1].seq if events else max(params["after_seq"], feed.last_seq(ctx.conn, run_id))
    return {
        "run_id": run_id,
        "events": [e.to_dict() for e in events],
        "last_seq": last,
        "run_state": run.state.value,
    }

"""One LISTEN connection: hand every notification on a channel to a callback.

The channel names are ours (never user input). Notifications are delivered only after the
notifying transaction commits, so a listener never hears of a change it cannot read yet.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any, Protocol

from striatum.store import connection as db

EVENTS_CHANNEL = "striatum_events"  # filled by the events_notify trigger (migration 0003)


class Demand(Protocol):
    """Whether anyone wants the notifications now (`Fanout` keeps the waiters)."""

    def wait(self, timeout: float) -> bool:
        """True once someone does (at once if someone already does), False at the timeout."""

    def gone(self) -> bool:
        """True when nobody has for long enough to stop listening."""


def listen(
    database: db.Database,
    on_payload: Callable[[dict[str, Any]], None],
    stop: threading.Event,
    *,
    on_connected: Callable[[], None] | None = None,
    demand: Demand | None = None,
    poll_s: float = 0.5,
) -> None:
    """Listen until `stop` is set; DatabaseUnavailable when the connection is lost (while it
    does not listen, found out only at its next LISTEN).

    `on_connected` runs each time LISTEN is in place: anything before it may have been
    missed. With a `demand`, the connection listens only while the demand holds: a commit
    that notifies wakes each listening backend and its client, which nobody needs when
    nobody waits (about 2% of an operator-driven job's time, measured).
    """
    conn = db.connect_runtime(database, autocommit=True)
    try:
        with db.translated_errors():
            while not stop.is_set():
                if demand is not None and not demand.wait(poll_s):
                    continue
                conn.execute(f"LISTEN {EVENTS_CHANNEL}")
                if on_connected is not None:
                    on_connected()
                while not stop.is_set() and (demand is None or not demand.gone()):
                    for note in conn.notifies(timeout=poll_s):
                        on_payload(_decode(note.payload))
                if not stop.is_set():  # closing drops it anyway, with no trip to wait on
                    conn.execute(f"UNLISTEN {EVENTS_CHANNEL}")
    finally:
        conn.close()


def _decode(payload: str) -> dict[str, Any]:
    try:
        found = json.loads(payload)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}

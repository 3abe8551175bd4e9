"""LISTEN/NOTIFY fan-out: one database connection wakes every live view that waits.

A thread holds the LISTEN connection (reconnecting with backoff when the database goes away)
and hands each notification to the event loop, where subscribers wait on an asyncio.Event.
A waiting request therefore holds no pool connection, no transaction and no worker thread.
The connection listens from the first long poll until IDLE_S after the last one ended (a view
that polls in a loop keeps it listening); the waiters there when LISTEN is back in place are
woken unsure, and look again.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from striatum import errors
from striatum.store import connection as db
from striatum.store import listener

log = logging.getLogger("striatumd")
FIRST_BACKOFF_S = 0.1
MAX_BACKOFF_S = 5.0
IDLE_S = 10.0


@dataclass(eq=False)
class Subscription:
    """Woken by events of one run (or of any run when run_id is None)."""

    run_id: str | None
    woken: asyncio.Event = field(default_factory=asyncio.Event)
    # Woken by a reconnect, not by an event: something may have been missed, or nothing.
    unsure: bool = False

    def wants(self, payload: dict[str, Any]) -> bool:
        return self.run_id is None or payload.get("run_id") == self.run_id


class Fanout:
    def __init__(self, database: db.Database, *, idle_s: float = IDLE_S) -> None:
        self._database = database
        self._subscribers: set[Subscription] = set()
        self._idle_s = idle_s
        self._wanted = threading.Event()  # set by a subscriber; cleared only in `gone`
        self._idle_since = time.monotonic()
        self._backoff = FIRST_BACKOFF_S
        self._stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start listening; call from the event loop that subscribers wait in."""
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._listen_forever, name="listen", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def subscribe(self, run_id: str | None) -> Subscription:
        subscription = Subscription(run_id)
        self._subscribers.add(subscription)
        self._wanted.set()  # after the add: `gone` reads the set after it clears this
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        # Stamped before the discard: `gone` never sees the set empty with an older stamp.
        self._idle_since = time.monotonic()
        self._subscribers.discard(subscription)

    # The listener's demand (listener.Demand), asked in its thread.

    def wait(self, timeout: float) -> bool:
        return self._wanted.wait(timeout)

    def gone(self) -> bool:
        if self._subscribers or time.monotonic() - self._idle_since < self._idle_s:
            return False
        self._wanted.clear()
        # One that subscribed before the clear is in the set now; one after it set the
        # event again, and the listener listens anew at once (waking it unsure).
        if self._subscribers:
            self._wanted.set()
            return False
        return True

    def _publish(self, payload: dict[str, Any] | None) -> None:
        """In the loop: wake the subscribers that want it (None: everyone, we may have missed
        something while reconnecting)."""
        for subscription in list(self._subscribers):
            if payload is None:
                subscription.unsure = not subscription.woken.is_set() or subscription.unsure
                subscription.woken.set()
            elif subscription.wants(payload):
                subscription.unsure = False
                subscription.woken.set()

    def _hand_over(self, payload: dict[str, Any] | None) -> None:
        # With nobody waiting, the loop is not woken for nothing: a waiter subscribes before
        # it peeks, and the peek sees whatever a notification skipped here announced.
        if self._loop is None or (payload is not None and not self._subscribers):
            return
        try:
            self._loop.call_soon_threadsafe(self._publish, payload)
        except RuntimeError:  # the loop closed while we were listening: shutting down
            self._stop.set()

    def _listen_forever(self) -> None:
        while not self._stop.is_set():
            try:
                listener.listen(
                    self._database,
                    self._hand_over,
                    self._stop,
                    on_connected=self._connected,
                    demand=self,
                )
                return
            except errors.StriatumError as error:
                log.warning("live-view listener lost its connection (%s); retrying", error)
            except Exception:  # a bug: keep the daemon up, the log gets the traceback
                log.exception("live-view listener failed; retrying")
            self._stop.wait(self._backoff)
            self._backoff = min(self._backoff * 2, MAX_BACKOFF_S)

    def _connected(self) -> None:
        """LISTEN is in place (again): wake every waiter unsure, and should the connection
        fail later, retry soon (a waiter may be waiting on that retry)."""
        self._backoff = FIRST_BACKOFF_S
        self._hand_over(None)

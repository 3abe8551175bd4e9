"""The daemon's anchoring loop, on a connection of its own.

Not a pool connection: the first anchoring of a long chain verifies it whole, and requests
must not wait behind that. The connection is opened on first use and again after a failure
(the database may restart under the daemon).
"""

from __future__ import annotations

import asyncio
import logging
import threading

from striatum.integrity import anchoring, repo_anchors
from striatum.store import connection as db

log = logging.getLogger("striatumd")


class AnchorLoop:
    def __init__(self, database: db.Database) -> None:
        self.database = database
        self.anchorer = anchoring.Anchorer(
            database.label, anchoring.Cadence.from_settings(), copies=repo_anchors.RepoCopies()
        )
        self._conn: db.Conn | None = None
        self._lock = threading.Lock()  # one tick at a time, the shutdown tick included

    async def run_forever(self) -> None:
        while True:
            await asyncio.sleep(self.anchorer.cadence.tick_s)
            await asyncio.to_thread(self.tick)

    def tick(self, *, force: bool = False) -> None:
        with self._lock:
            self._tick(force)

    def _tick(self, force: bool) -> None:
        try:
            if self._conn is None or self._conn.closed:
                self._conn = db.connect_runtime(self.database, autocommit=True)
            self.anchorer.tick(self._conn, force=force)
        except Exception:  # the database may be down: try again next tick
            log.warning("anchoring failed", exc_info=True)
            self.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

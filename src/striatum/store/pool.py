"""The daemon's connection pool: runtime-role connections, autocommit, checked on borrow
when they sat idle (a connection in steady use proves itself: a check on every borrow was a
round trip per request).

While the daemon knows its database is down (its embedded cluster restarting), the pool
refuses at once instead of waiting for a connection that cannot come: `refusal` says why, and
`drop` lets go of the dead connections (whoever waits for one is refused at once too). Once
the database is back, `renew` opens fresh ones.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from striatum import errors
from striatum.store import connection as db

log = logging.getLogger("striatumd")
# Why the database cannot serve right now, or None when it may.
Refusal = Callable[[], errors.StriatumError | None]
OPEN_TIMEOUT_S = 30
BORROW_TIMEOUT_S = 10  # the longest a request waits for a connection
BORROW_SLICE_S = 0.5  # how often a waiting request looks whether the database went down
# A connection idle longer than this is checked (an empty query) before it is lent out.
IDLE_CHECK_S = 2.0


class Pool:
    """A bounded set of runtime-role connections shared by the request threads."""

    def __init__(
        self, database: db.Database, *, size: int = 4, refusal: Refusal | None = None
    ) -> None:
        self._database = database
        self._size = size
        self._refusal = refusal or (lambda: None)
        self._last_used: weakref.WeakKeyDictionary[db.Conn, float] = weakref.WeakKeyDictionary()
        self._pool = self._new_pool()

    def open(self) -> None:
        try:
            self._pool.open(wait=True, timeout=OPEN_TIMEOUT_S)
        except PoolTimeout:
            raise errors.DatabaseUnavailable("cannot open connections to the database") from None

    def drop(self) -> None:
        """Close every connection (the database went down): waiting borrowers are refused,
        connections lent out are closed when given back. `renew` opens new ones."""
        self._pool.close()

    def renew(self) -> None:
        """Swap in fresh connections (the database is back); requests borrow from them at
        once. Whatever the old set still holds is closed as `drop` does."""
        fresh = self._new_pool()
        try:
            fresh.open(wait=True, timeout=OPEN_TIMEOUT_S)
        except PoolTimeout:  # which closed it: one that keeps connecting in the background
            log.warning("the renewed connection pool is not connected yet")
            fresh = self._new_pool()
            fresh.open(wait=False)
        old, self._pool = self._pool, fresh
        old.close()

    def close(self) -> None:
        self._pool.close()

    @contextmanager
    def connection(self) -> Iterator[db.Conn]:
        with ExitStack() as borrowed:
            conn = self._borrow(borrowed)
            try:
                yield conn
            except errors.DatabaseUnavailable as lost:  # e.g. the server died mid-request
                refusal = self._refusal()
                if refusal is None:
                    raise
                raise refusal from lost
            finally:
                self._last_used[conn] = time.monotonic()

    def _borrow(self, borrowed: ExitStack) -> db.Conn:
        """A connection, waiting in short slices: a borrower that waits when the database
        goes down (or that met a dead connection: the pool then waits for a new one) hears
        of it within a slice instead of at the end of its wait."""
        deadline = time.monotonic() + BORROW_TIMEOUT_S
        while True:
            refusal = self._refusal()
            if refusal is not None:
                raise refusal
            wait = min(BORROW_SLICE_S, deadline - time.monotonic())
            try:
                return borrowed.enter_context(self._pool.connection(timeout=max(wait, 0.01)))
            except PoolTimeout:
                pass
            except PoolClosed:  # dropped (the refusal says why) or being renewed
                time.sleep(0.05)
            if time.monotonic() >= deadline:
                raise errors.DatabaseUnavailable(
                    "no database connection became available in time",
                    hint="the database may be down or overloaded; retry",
                )

    def _new_pool(self) -> ConnectionPool[db.Conn]:
        set_role = self._database.runtime_set_role

        def configure(conn: db.Conn) -> None:
            conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
            if set_role:
                conn.execute(f"SET ROLE {set_role}")  # our fixed role name
            # Every request's statements are prepared, each written to be driven by an index
            # whatever its parameters: a plan made once per connection, never again. Left to
            # choose, PostgreSQL planned some of them anew on every run (their array or
            # partial-index parameters), and that planning grew with the dead rows of a long
            # run: 0.03 ms at 200 jobs, 0.2 ms at 5,000, per statement per job.
            conn.execute("SET plan_cache_mode = force_generic_plan")
            # A plan kept for the connection's life must not be one made for tiny tables: on
            # a few pages a scan of the whole table is cheapest, and stays the plan while the
            # table grows (the lease lock once read every job of its run this way). Without
            # seq scans the planner takes the keys' indexes; a statement with none still scans.
            conn.execute("SET enable_seqscan = off")

        return ConnectionPool(
            self._database.runtime_conninfo,
            min_size=1,
            max_size=self._size,
            open=False,
            timeout=BORROW_TIMEOUT_S,
            configure=configure,
            check=self._check_if_idle,
            kwargs={"autocommit": True, "row_factory": dict_row, "application_name": "striatumd"},
            name="striatumd",
        )

    def _check_if_idle(self, conn: db.Conn) -> None:
        """The pool's check on borrow, for a connection that sat idle (or was never lent)."""
        if time.monotonic() - self._last_used.get(conn, 0.0) > IDLE_CHECK_S:
            ConnectionPool.check_connection(conn)

"""The daemon's connection pool: runtime-role connections, autocommit, checked on borrow.

While the daemon knows its database is down (its embedded cluster restarting), the pool
refuses at once instead of waiting for a connection that cannot come: `refusal` says why, and
`drop` lets go of the dead connections (whoever waits for one is refused at once too). Once
the database is back, `renew` opens fresh ones.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from striatum import errors
from striatum.store import connection as db

log = logging.getLogger("striatumd")
# Why the database cannot serve right now, or None when it may.
Refusal = Callable[[], errors.StriatumError | None]
OPEN_TIMEOUT_S = 30


class Pool:
    """A bounded set of runtime-role connections shared by the request threads."""

    def __init__(
        self, database: db.Database, *, size: int = 4, refusal: Refusal | None = None
    ) -> None:
        self._database = database
        self._size = size
        self._refusal = refusal or (lambda: None)
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
        except PoolTimeout:  # it keeps connecting in the background meanwhile
            log.warning("the renewed connection pool is not connected yet")
        old, self._pool = self._pool, fresh
        old.close()

    def close(self) -> None:
        self._pool.close()

    @contextmanager
    def connection(self) -> Iterator[db.Conn]:
        refusal = self._refusal()
        if refusal is not None:
            raise refusal
        try:
            with self._pool.connection() as conn:
                yield conn
        except PoolTimeout:
            raise self._refusal() or errors.DatabaseUnavailable(
                "no database connection became available in time",
                hint="the database may be down or overloaded; retry",
            ) from None
        except PoolClosed:  # dropped or renewed between our look and our borrow
            raise self._refusal() or errors.DatabaseUnavailable(
                "the database connections were being renewed after a restart", hint="retry"
            ) from None
        except errors.DatabaseUnavailable as lost:  # e.g. the server died mid-request
            refusal = self._refusal()
            if refusal is None:
                raise
            raise refusal from lost

    def _new_pool(self) -> ConnectionPool[db.Conn]:
        set_role = self._database.runtime_set_role

        def configure(conn: db.Conn) -> None:
            conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
            if set_role:
                conn.execute(f"SET ROLE {set_role}")  # our fixed role name

        return ConnectionPool(
            self._database.runtime_conninfo,
            min_size=1,
            max_size=self._size,
            open=False,
            timeout=10,
            configure=configure,
            check=ConnectionPool.check_connection,
            kwargs={"autocommit": True, "row_factory": dict_row, "application_name": "striatumd"},
            name="striatumd",
        )

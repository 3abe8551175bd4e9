"""The daemon's connection pool: runtime-role connections, autocommit, checked on borrow."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from striatum import errors
from striatum.store import connection as db


class Pool:
    """A bounded set of runtime-role connections shared by the request threads."""

    def __init__(self, database: db.Database, *, size: int = 4) -> None:
        set_role = database.runtime_set_role

        def configure(conn: db.Conn) -> None:
            conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
            if set_role:
                conn.execute(f"SET ROLE {set_role}")  # our fixed role name

        self._pool: ConnectionPool[db.Conn] = ConnectionPool(
            database.runtime_conninfo,
            min_size=1,
            max_size=size,
            open=False,
            timeout=10,
            configure=configure,
            check=ConnectionPool.check_connection,
            kwargs={"autocommit": True, "row_factory": dict_row, "application_name": "striatumd"},
            name="striatumd",
        )

    def open(self) -> None:
        try:
            self._pool.open(wait=True, timeout=30)
        except PoolTimeout:
            raise errors.DatabaseUnavailable("cannot open connections to the database") from None

    def close(self) -> None:
        self._pool.close()

    @contextmanager
    def connection(self) -> Iterator[db.Conn]:
        try:
            with self._pool.connection() as conn:
                yield conn
        except PoolTimeout:
            raise errors.DatabaseUnavailable(
                "no database connection became available in time",
                hint="the database may be down or overloaded; retry",
            ) from None

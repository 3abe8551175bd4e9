"""The connection boundary: opening connections, translating driver errors, retrying.

Every psycopg error that leaves this package leaves as a `StriatumError` with a stable code.
It also tallies the work done through it (`work_done`): benchmarks read statements and
transactions per job from the daemon's `daemon.status`.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import DictRow, dict_row

from striatum import errors

Conn: TypeAlias = "psycopg.Connection[DictRow]"
T = TypeVar("T")

RUNTIME_ROLE = "striatumd_runtime"
OWNER_ROLE = "striatumd_owner"
CONNECT_TIMEOUT_S = 5


class _Tally:
    """Statements run and transactions committed through this module, process-wide."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # request threads count at once; `+=` is not atomic
        self.statements = 0
        self.transactions = 0

    def add(self, *, statements: int = 0, transactions: int = 0) -> None:
        with self._lock:
            self.statements += statements
            self.transactions += transactions

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {"statements": self.statements, "transactions": self.transactions}


_TALLY = _Tally()


def work_done() -> dict[str, int]:
    """How many statements (`fetch_one`, `fetch_all`, `execute`) this process has run and how
    many outermost `in_transaction` blocks it has committed, since it started. Savepoints,
    BEGIN/COMMIT themselves and statements issued around this module are not counted."""
    return _TALLY.snapshot()


@dataclass(frozen=True, kw_only=True)
class Database:
    """Where the daemon's database is and how to reach it as admin and as the runtime role."""

    admin_conninfo: str
    runtime_conninfo: str
    # When the runtime connection uses the admin's credentials, drop to this role after login.
    runtime_set_role: str | None
    label: str

    @classmethod
    def from_url(cls, url: str, runtime_url: str | None = None) -> Database:
        """An external server. The URL's user is the admin. Runtime sessions log in with
        `runtime_url` (as striatumd_runtime) when given; else they log in with the admin URL
        and drop to the runtime role with SET ROLE, which a session could undo (RESET ROLE)."""
        try:
            parts = conninfo_to_dict(url)
            if runtime_url is not None:
                conninfo_to_dict(runtime_url)
        except psycopg.ProgrammingError as error:
            raise errors.UsageError(
                f"invalid database URL: {error}",
                hint="STRIATUM_DATABASE_URL, STRIATUM_RUNTIME_DATABASE_URL or --database-url",
            ) from None
        label = make_conninfo("", **{k: v for k, v in parts.items() if k != "password"})
        return cls(
            admin_conninfo=url,
            runtime_conninfo=runtime_url or url,
            runtime_set_role=None if runtime_url else RUNTIME_ROLE,
            label=label,
        )

    def with_dbname(self, dbname: str) -> Database:
        """The same server, another database (tests clone one per test)."""
        return Database(
            admin_conninfo=make_conninfo(self.admin_conninfo, dbname=dbname),
            runtime_conninfo=make_conninfo(self.runtime_conninfo, dbname=dbname),
            runtime_set_role=self.runtime_set_role,
            label=f"{self.label} dbname={dbname}",
        )


def connect(conninfo: str, *, autocommit: bool = False, set_role: str | None = None) -> Conn:
    """Open one connection; failures become DatabaseUnavailable."""
    try:
        conn = psycopg.connect(
            conninfo,
            autocommit=autocommit,
            row_factory=dict_row,
            connect_timeout=CONNECT_TIMEOUT_S,
            application_name="striatumd",
        )
        # Explicit, whatever the server's default: appends rely on row locks, not SSI.
        conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
    except psycopg.Error as error:
        raise translate(error) from None
    if set_role:
        with translated_errors():
            conn.execute(f"SET ROLE {set_role}")  # our own fixed role name, never user input
            if not autocommit:
                conn.commit()
    return conn


def connect_admin(db: Database, *, autocommit: bool = False) -> Conn:
    return connect(db.admin_conninfo, autocommit=autocommit)


def connect_runtime(db: Database, *, autocommit: bool = False) -> Conn:
    return connect(db.runtime_conninfo, autocommit=autocommit, set_role=db.runtime_set_role)


def translate(error: BaseException) -> errors.StriatumError:
    """Map a driver error onto our error codes (the one place that does this)."""
    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if isinstance(error, pg_errors.SerializationFailure | pg_errors.DeadlockDetected):
        return errors.SerializationConflict(message)
    if isinstance(error, pg_errors.InsufficientPrivilege):
        return errors.PermissionDenied(message)
    if isinstance(error, pg_errors.UniqueViolation):
        return errors.Conflict(message)
    if isinstance(error, psycopg.OperationalError):  # the message alone may not say "database"
        return errors.DatabaseUnavailable(
            f"database unavailable: {message}", hint="is PostgreSQL running and reachable?"
        )
    return errors.StriatumError(f"database error: {message}")


@contextlib.contextmanager
def translated_errors() -> Iterator[None]:
    """Run a block, re-raising psycopg errors as StriatumErrors."""
    try:
        yield
    except psycopg.Error as error:
        raise translate(error) from error


def in_transaction(conn: Conn, work: Callable[[Conn], T], *, attempts: int = 8) -> T:
    """Run `work` in one transaction, retrying serialization failures and deadlocks.

    Trade-off: `work` may run more than once, so it must do nothing outside the transaction
    (no files, no git, no network). What must happen outside it returns to the caller, who
    does it after this returns — that is, after commit, once: the daemon's handlers record
    such actions on their `Context` (engine/context.py) and the dispatcher runs them. A retry
    calls `work` afresh, so whatever an abandoned attempt built is dropped with it. The backoff
    is short and jittered because our transactions are.
    """
    outermost = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    for attempt in range(1, attempts + 1):
        try:
            with translated_errors(), conn.transaction():
                result = work(conn)
            _TALLY.add(transactions=int(outermost))  # nested, it was only a savepoint
            return result
        except errors.SerializationConflict:
            if attempt == attempts:
                raise
            time.sleep(random.uniform(0, 0.002 * 2**attempt))
    raise AssertionError("unreachable")


def fetch_one(conn: Conn, query: Any, params: dict[str, Any] | None = None) -> DictRow | None:
    _TALLY.add(statements=1)
    with translated_errors():
        return conn.execute(query, params).fetchone()


def fetch_all(conn: Conn, query: Any, params: dict[str, Any] | None = None) -> list[DictRow]:
    _TALLY.add(statements=1)
    with translated_errors():
        return conn.execute(query, params).fetchall()


def execute(conn: Conn, query: Any, params: dict[str, Any] | None = None) -> None:
    _TALLY.add(statements=1)
    with translated_errors():
        conn.execute(query, params)

"""The daemon counts the SQL it runs: statements, and transactions committed (`work` in
`daemon status`), so a benchmark can report both per job."""

from __future__ import annotations

import pytest

from striatum import errors
from striatum.store import connection as db
from tests.support.daemons import DaemonUnderTest


def grown(before: dict[str, int]) -> dict[str, int]:
    return {name: count - before[name] for name, count in db.work_done().items()}


def test_each_statement_counts_and_a_transaction_counts_once_when_it_commits(
    runtime: db.Conn,
) -> None:
    before = db.work_done()

    def work(conn: db.Conn) -> None:
        db.fetch_one(conn, "SELECT 1")
        db.fetch_all(conn, "SELECT 1")
        db.in_transaction(conn, lambda inner: db.execute(inner, "SELECT 1"))  # a savepoint

    db.in_transaction(runtime, work)
    assert grown(before) == {"statements": 3, "transactions": 1}


def test_a_transaction_that_fails_is_not_counted_as_committed(runtime: db.Conn) -> None:
    before = db.work_done()
    with pytest.raises(errors.StriatumError):
        db.in_transaction(runtime, lambda conn: db.execute(conn, "SELECT 1 / 0"))
    assert grown(before) == {"statements": 1, "transactions": 0}


def test_daemon_status_shows_the_work_of_the_requests_it_served(daemon: DaemonUnderTest) -> None:
    before = daemon.json("daemon", "status")["work"]
    for _ in range(3):
        daemon.json("whoami")
    after = daemon.json("daemon", "status")["work"]
    # Each request commits one transaction of several statements (its token, its audit row);
    # the daemon's own timers (sweep, anchoring) may add more meanwhile, never less.
    assert after["transactions"] - before["transactions"] >= 3
    assert after["statements"] - before["statements"] >= 3 * 2

"""The daemon's fan-out against PostgreSQL: it runs no LISTEN until someone waits, wakes a
waiter on a committed event, and UNLISTENs once the last waiter has been gone for its grace."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from striatum.daemon.fanout import Fanout
from striatum.store import chains
from striatum.store import connection as db
from tests.integration.chain_helpers import register_repo

GRACE_S = 0.3


def _listener_said(admin: db.Conn) -> list[str]:
    """The last statement of each session that ran LISTEN or UNLISTEN (read as the admin:
    another role's statements may be hidden from the runtime role)."""
    rows = db.fetch_all(
        admin,
        "SELECT query FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid() AND query LIKE '%LISTEN %'",
    )
    return [row["query"] for row in rows]


async def _until(check: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def test_it_listens_while_someone_waits_and_stops_after_the_grace(
    database: db.Database, runtime: db.Conn
) -> None:
    register_repo(runtime)
    admin = db.connect_admin(database, autocommit=True)

    async def scenario() -> None:
        fanout = Fanout(database, idle_s=GRACE_S)
        fanout.start()
        try:
            await asyncio.sleep(1.0)  # its thread is up and connected by now
            assert _listener_said(admin) == []  # nobody waits: no LISTEN
            waiter = fanout.subscribe("run-1")
            await asyncio.wait_for(waiter.woken.wait(), 10)  # LISTEN in place: look again
            assert waiter.unsure
            assert _listener_said(admin) == ["LISTEN striatum_events"]
            waiter.woken.clear()
            waiter.unsure = False
            db.in_transaction(
                runtime,
                lambda c: chains.append_events(
                    c,
                    repo_id="r1",
                    run_id="run-1",
                    actor="operator:test",
                    events=[chains.Event(type="test.0", payload={}, job_id=None)],
                ),
            )
            await asyncio.wait_for(waiter.woken.wait(), 10)
            assert not waiter.unsure  # woken by the event itself
            fanout.unsubscribe(waiter)
            await _until(lambda: _listener_said(admin) == ["UNLISTEN striatum_events"])
        finally:
            await asyncio.to_thread(fanout.stop)

    try:
        asyncio.run(scenario())
    finally:
        admin.close()

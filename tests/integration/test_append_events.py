"""striatumd.append_events (migration 0013): a run's events in one statement, in order, each
moving its job when asked; a transaction's events of one run notify listeners once."""

from __future__ import annotations

import json

from striatum.store import chains
from striatum.store import connection as db
from tests.integration.chain_helpers import register_repo


def _events(n: int) -> list[chains.Event]:
    return [chains.Event(type=f"test.{i}", payload={"i": i}, job_id=None) for i in range(n)]


def test_events_of_one_statement_land_in_order_and_link(runtime: db.Conn) -> None:
    register_repo(runtime)
    first = db.in_transaction(
        runtime,
        lambda c: chains.append_events(
            c, repo_id="r1", run_id="run-1", actor="operator:test", events=_events(3)
        ),
    )
    assert [a.seq for a in first] == [1, 2, 3]  # the head was made by the first append
    rows = db.fetch_all(
        runtime,
        "SELECT type, previous_hash, row_hash FROM striatumd.events WHERE repo_id = 'r1'"
        " ORDER BY seq",
    )
    assert [r["type"] for r in rows] == ["test.0", "test.1", "test.2"]
    links = [r["previous_hash"] for r in rows[1:]]
    assert links == [r["row_hash"] for r in rows[:-1]]  # each links to the one before
    assert [a.row_hash for a in first] == [r["row_hash"] for r in rows]


def test_a_transaction_of_several_events_wakes_a_listener_once(
    database: db.Database, runtime: db.Conn
) -> None:
    register_repo(runtime)
    listener = db.connect_runtime(database, autocommit=True)
    try:
        listener.execute("LISTEN striatum_events")
        db.in_transaction(
            runtime,
            lambda c: chains.append_events(
                c, repo_id="r1", run_id="run-1", actor="operator:test", events=_events(3)
            ),
        )
        heard = [json.loads(n.payload) for n in listener.notifies(timeout=1.0)]
    finally:
        listener.close()
    assert heard == [{"chain": "repo:r1", "run_id": "run-1"}]

"""The daemon's request connections (store/pool.py): a request runs READ COMMITTED, and its
prepared statements are planned once per connection
(`plan_cache_mode = force_generic_plan`, SPEC §9 "What a transition costs"), so planning
never grows with a long run's dead rows."""

from __future__ import annotations

from striatum.store import connection as db
from striatum.store import runs
from striatum.store.feed import Event
from striatum.store.pool import Pool


def test_request_connections_plan_each_statement_once(database: db.Database) -> None:
    pool = Pool(database, size=2)
    pool.open()
    try:
        with pool.connection() as conn:
            row = conn.execute(
                "SELECT current_setting('plan_cache_mode') AS mode, "
                "current_setting('transaction_isolation') AS isolation"
            ).fetchone()
    finally:
        pool.close()
    assert row is not None
    assert row["mode"] == "force_generic_plan"
    assert row["isolation"] == "read committed"


def test_request_connections_plan_key_lookups_and_scan_only_where_nothing_else_serves(
    database: db.Database,
) -> None:
    pool = Pool(database, size=1)
    pool.open()
    try:
        with pool.connection() as conn:
            assert conn.execute("SHOW enable_seqscan").fetchone() == {"enable_seqscan": "off"}
            for _ in range(8):  # past psycopg's prepare threshold: the SETs prepared too

                def mentioning(c: db.Conn) -> tuple[list[Event], str]:
                    found = runs.events_mentioning(c, "lease_id", "lease_nowhere")
                    row = c.execute("SHOW enable_seqscan").fetchone()
                    assert row is not None
                    return found, row["enable_seqscan"]

                found, after = db.in_transaction(conn, mentioning)
                assert found == [] and after == "off"
    finally:
        pool.close()

"""The daemon's request connections (store/pool.py): a request runs READ COMMITTED, and its
prepared statements are planned once per connection
(`plan_cache_mode = force_generic_plan`, SPEC §9 "What a transition costs"), so planning
never grows with a long run's dead rows."""

from __future__ import annotations

from striatum.store import connection as db
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

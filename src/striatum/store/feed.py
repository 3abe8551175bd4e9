"""Reading the event chain as a feed: what a live view missed since a given seq."""

from __future__ import annotations

from typing import Any

from striatum.store import connection as db
from striatum.store.sql import queries


def events_after(
    conn: db.Conn, run_id: str, after_seq: int, limit: int = 200
) -> list[dict[str, Any]]:
    return [
        dict(r)
        for r in db.fetch_all(
            conn,
            queries("feed")["events_after"],
            {"run_id": run_id, "after_seq": after_seq, "limit": limit},
        )
    ]


def last_seq(conn: db.Conn, run_id: str) -> int:
    row = db.fetch_one(conn, queries("feed")["last_seq_of_run"], {"run_id": run_id})
    return 0 if row is None else int(row["seq"])


def event_total(conn: db.Conn) -> int:
    """The number of events in all repository chains: grows with every event appended."""
    row = db.fetch_one(conn, queries("feed")["event_total"])
    return 0 if row is None else int(row["total"])

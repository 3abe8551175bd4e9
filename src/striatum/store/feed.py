"""Reading the event chain as a feed: what a live view missed since a given seq."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from psycopg.rows import DictRow

from striatum.store import connection as db
from striatum.store.rows import Row
from striatum.store.sql import queries


@dataclass(frozen=True, kw_only=True)
class Event(Row):
    """One event of a repository chain, as views read it (the hashed bytes stay in the
    store: integrity checks read those)."""

    seq: int
    type: str  # open-ended: `job.leased`, `gate.decided`, `escalation.opened`, ...
    run_id: str | None
    job_id: str | None
    actor: str
    payload: Mapping[str, Any]  # the event's JSON object, as appended
    at: str  # UTC, ISO 8601 with microseconds
    row_hash: str

    @classmethod
    def from_row(cls, row: DictRow) -> Event:
        return cls(
            seq=row["seq"],
            type=row["type"],
            run_id=row["run_id"],
            job_id=row["job_id"],
            actor=row["actor"],
            payload=row["payload"],
            at=row["at"],
            row_hash=row["row_hash"],
        )


def events_after(conn: db.Conn, run_id: str, after_seq: int, limit: int = 200) -> list[Event]:
    params = {"run_id": run_id, "after_seq": after_seq, "limit": limit}
    return [Event.from_row(r) for r in db.fetch_all(conn, queries("feed")["events_after"], params)]


def last_seq(conn: db.Conn, run_id: str) -> int:
    row = db.fetch_one(conn, queries("feed")["last_seq_of_run"], {"run_id": run_id})
    return 0 if row is None else int(row["seq"])


def event_total(conn: db.Conn) -> int:
    """The number of events in all repository chains: grows with every event appended."""
    row = db.fetch_one(conn, queries("feed")["event_total"])
    return 0 if row is None else int(row["total"])

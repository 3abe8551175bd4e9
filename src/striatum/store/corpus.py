"""Reading everything an export covers, in a stable order, as plain JSON-ready rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from psycopg.rows import DictRow

from striatum.store import connection as db
from striatum.store.sql import queries

TABLE_QUERIES = {
    "jobs": "scope_jobs",
    "attempts": "scope_attempts",
    "sessions": "scope_sessions",
    "leases": "scope_leases",
    "verdicts": "scope_verdicts",
    "blockers": "scope_blockers",
    "artifacts": "scope_artifacts",
}


@dataclass(frozen=True, kw_only=True)
class ChainRow:
    """One event of a repository chain as it was hashed: its links and its canonical bytes."""

    seq: int
    run_id: str | None
    previous_hash: str
    row_hash: str
    canonical: bytes  # the RFC 8785 bytes the row hash covers
    payload: Any  # the payload column (a v2 record holds only its digest)

    @classmethod
    def from_row(cls, row: DictRow) -> ChainRow:
        return cls(
            seq=row["seq"],
            run_id=row["run_id"],
            previous_hash=row["previous_hash"],
            row_hash=row["row_hash"],
            canonical=bytes(row["canonical"]),
            payload=row["payload"],
        )


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """Timestamps as UTC ISO strings (so the same row always serializes the same)."""
    return {
        k: v.astimezone(dt.UTC).isoformat() if isinstance(v, dt.datetime) else v
        for k, v in row.items()
    }


def runs(conn: db.Conn, *, run_id: str | None, repo_id: str | None) -> list[dict[str, Any]]:
    rows = db.fetch_all(
        conn, queries("corpus")["scope_runs"], {"run_id": run_id, "repo_id": repo_id}
    )
    return [_plain(dict(r)) for r in rows]


def tables(conn: db.Conn, run_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    return {
        name: [
            _plain(dict(r))
            for r in db.fetch_all(conn, queries("corpus")[query], {"run_ids": run_ids})
        ]
        for name, query in TABLE_QUERIES.items()
    }


def chain_rows(conn: db.Conn, *, repo_id: str, run_ids: list[str] | None) -> list[ChainRow]:
    """The chain from the first to the last event of the scope (all of it for a repository)."""
    bounds = db.fetch_one(
        conn,
        queries("corpus")["scope_event_range"],
        {"repo_id": repo_id, "all": run_ids is None, "run_ids": run_ids or []},
    )
    if bounds is None or bounds["first_seq"] is None:
        return []
    return [
        ChainRow.from_row(r)
        for r in db.fetch_all(
            conn,
            queries("corpus")["chain_rows"],
            {"repo_id": repo_id, "first_seq": bounds["first_seq"], "last_seq": bounds["last_seq"]},
        )
    ]

"""Appending to and reading the two hash chains: per-repository events and the audit log.

An append locks the chain's head row as its first statement, so concurrent appenders queue on
that row lock instead of failing serialization checks, and a chain can never fork.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from psycopg.types.json import Jsonb

from striatum.model import chain
from striatum.store import connection as db
from striatum.store.sql import queries

AUDIT_CHAIN = "audit"
_SCAN_BATCH = 5000


def event_chain(repo_id: str) -> str:
    return f"repo:{repo_id}"


@dataclass(frozen=True, kw_only=True)
class Appended:
    """Where a record landed in its chain."""

    chain: str
    seq: int
    row_hash: str
    at: str


def append_event(
    conn: db.Conn, *, repo_id: str, type: str, actor: str,
    payload: Mapping[str, Any], run_id: str | None = None, job_id: str | None = None,
) -> Appended:
    """Append one event to the repository's chain. Call inside the verb's transaction."""
    name = event_chain(repo_id)
    seq, previous, at = _lock_head(conn, name)
    sealed = chain.seal({
        "repo_id": repo_id, "seq": seq, "type": type, "run_id": run_id, "job_id": job_id,
        "actor": actor, "payload": dict(payload), "at": at,
    }, previous)
    db.execute(conn, queries("chains")["insert_event"], {
        **sealed.record, "payload": Jsonb(sealed.record["payload"]),
        "row_hash": sealed.row_hash, "canonical": sealed.canonical,
    })
    return _advance(conn, name, seq, sealed.row_hash, at)


def append_audit(
    conn: db.Conn, *, request_id: str, method: str, actor: str, role: str, ok: bool,
    error_code: str | None, params: Mapping[str, Any],
) -> Appended:
    """Append one audit row to the daemon-global chain. Call inside the request's transaction."""
    seq, previous, at = _lock_head(conn, AUDIT_CHAIN)
    sealed = chain.seal({
        "seq": seq, "at": at, "request_id": request_id, "method": method, "actor": actor,
        "role": role, "ok": ok, "error_code": error_code, "params": dict(params),
    }, previous)
    db.execute(conn, queries("chains")["insert_audit"], {
        **sealed.record, "params": Jsonb(sealed.record["params"]),
        "row_hash": sealed.row_hash, "canonical": sealed.canonical,
    })
    return _advance(conn, AUDIT_CHAIN, seq, sealed.row_hash, at)


def _lock_head(conn: db.Conn, name: str) -> tuple[int, str, str]:
    """Lock the head (creating it at seq 0 if new); return next seq, previous hash, now."""
    sql = queries("chains")
    row = db.fetch_one(conn, sql["lock_head"], {"chain": name})
    if row is None:
        db.execute(conn, sql["ensure_head"], {"chain": name})
        row = db.fetch_one(conn, sql["lock_head"], {"chain": name})
        assert row is not None
    return int(row["seq"]) + 1, str(row["row_hash"]), str(row["at"])


def _advance(conn: db.Conn, name: str, seq: int, row_hash: str, at: str) -> Appended:
    db.execute(conn, queries("chains")["advance_head"],
               {"chain": name, "seq": seq, "row_hash": row_hash})
    return Appended(chain=name, seq=seq, row_hash=row_hash, at=at)


def read_head(conn: db.Conn, name: str) -> chain.Head | None:
    row = db.fetch_one(conn, queries("chains")["read_head"], {"chain": name})
    if row is None:
        return None
    return chain.Head(seq=int(row["seq"]), row_hash=str(row["row_hash"]))


def event_chains(conn: db.Conn) -> list[str]:
    """The repository ids that have an event chain."""
    rows = db.fetch_all(conn, queries("chains")["list_event_chains"])
    return [str(row["chain"]).removeprefix("repo:") for row in rows]


_EVENT_COLUMNS = ("repo_id", "seq", "type", "run_id", "job_id", "actor", "payload", "at")
_AUDIT_COLUMNS = ("seq", "at", "request_id", "method", "actor", "role", "ok", "error_code",
                  "params")


def scan_events(conn: db.Conn, repo_id: str) -> Iterator[chain.StoredRow]:
    """Stream a repository's events in seq order (server-side cursor, bounded memory)."""
    return _scan(conn, queries("chains")["scan_events"], {"repo_id": repo_id}, _EVENT_COLUMNS)


def scan_audit(conn: db.Conn) -> Iterator[chain.StoredRow]:
    """Stream the audit log in seq order."""
    return _scan(conn, queries("chains")["scan_audit"], {}, _AUDIT_COLUMNS)


def _scan(
    conn: db.Conn, query: Any, params: dict[str, Any], columns: tuple[str, ...]
) -> Iterator[chain.StoredRow]:
    with db.translated_errors(), conn.transaction(), conn.cursor(name="chain_scan") as cursor:
        cursor.itersize = _SCAN_BATCH
        cursor.execute(query, params)
        for row in cursor:
            yield chain.StoredRow(
                seq=row["seq"], previous_hash=row["previous_hash"], row_hash=row["row_hash"],
                canonical=bytes(row["canonical"]), columns={c: row[c] for c in columns},
            )


def stored_hash_at(conn: db.Conn, name: str, seq: int) -> str | None:
    """The row_hash stored at one position of a chain, or None if there is no such row."""
    sql = queries("chains")
    if name == AUDIT_CHAIN:
        row = db.fetch_one(conn, sql["audit_hash_at"], {"seq": seq})
    else:
        row = db.fetch_one(conn, sql["event_hash_at"],
                           {"repo_id": name.removeprefix("repo:"), "seq": seq})
    return None if row is None else str(row["row_hash"])

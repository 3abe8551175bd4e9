"""Appending to and reading the two hash chains: per-repository events and the audit log.

An append locks the chain's head row as its first statement, so concurrent appenders queue on
that row lock instead of failing serialization checks, and a chain can never fork. New rows are
v2 records (docs/SPEC.md §4): the hashed bytes hold the body's digest and the writing host, the
body itself goes to its jsonb column.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg.adapt import Loader
from psycopg.pq import Format
from psycopg.rows import DictRow, tuple_row
from psycopg.types.json import Jsonb

from striatum import paths
from striatum.model import chain, chain_body
from striatum.store import connection as db
from striatum.store.rows import Row
from striatum.store.sql import queries

AUDIT_CHAIN = chain.AUDIT_CHAIN
_SCAN_BATCH = 5000


def event_chain(repo_id: str) -> str:
    return f"repo:{repo_id}"


@functools.cache
def writer_host() -> str:
    """The host this process writes rows from (several may share one database)."""
    return paths.host_name()


@dataclass(frozen=True, kw_only=True)
class Appended:
    """Where a record landed in its chain."""

    chain: str
    seq: int
    row_hash: str
    at: str


def append_event(
    conn: db.Conn,
    *,
    repo_id: str,
    type: str,
    actor: str,
    payload: Mapping[str, Any],
    run_id: str | None = None,
    job_id: str | None = None,
    move: JobMove | None = None,
) -> Appended:
    """Append one event to the repository's chain. Call inside the verb's transaction.
    With `move`, the event's job moves in the same statement (the caller checked the edge)."""
    event = Event(type=type, payload=payload, job_id=job_id, move=move)
    (appended,) = append_events(conn, repo_id=repo_id, run_id=run_id, actor=actor, events=[event])
    return appended


@dataclass(frozen=True)
class JobMove:
    """A job's new state (and, for a claim, its new attempt's number; for a park, when it is
    ready again)."""

    state: str
    attempt: int | None = None
    ready_after: str | None = None  # a parked job's: when claims may take it again (ISO 8601)


@dataclass(frozen=True, kw_only=True)
class Event:
    """One event to append, and the move of its job that it records (if any)."""

    type: str
    payload: Mapping[str, Any]
    job_id: str | None = None
    move: JobMove | None = None


def append_events(
    conn: db.Conn, *, repo_id: str, run_id: str | None, actor: str, events: Sequence[Event]
) -> list[Appended]:
    """Append events of one run to its repository's chain in order, each moving its job when
    asked: one statement."""
    arguments = events_arguments(repo_id=repo_id, run_id=run_id, actor=actor, events=events)
    rows = db.fetch_all(conn, queries("chains")["append_events"], arguments)
    return appended(arguments, rows)


def events_arguments(
    *, repo_id: str, run_id: str | None, actor: str, events: Sequence[Event]
) -> dict[str, Any]:
    """What `striatumd.append_events` takes, as `events_*` parameters: for `append_events`,
    and for a statement that records its own change's events in the same trip (a lease's
    end, a claim). Read its rows with `appended`."""
    host = writer_host()
    templates = [
        chain.template(
            chain_body.v2_record(
                {
                    "repo_id": repo_id,
                    "type": event.type,
                    "run_id": run_id,
                    "job_id": event.job_id,
                    "actor": actor,
                    "host": host,
                    "payload": dict(event.payload),
                },
                "payload",
            )
        )
        for event in events
    ]
    moves = [event.move for event in events]
    return {
        "events_chain": event_chain(repo_id),
        "events_repo_id": repo_id,
        "events_run_id": run_id,
        "events_actor": actor,
        "events_host": host,
        "events_templates": templates,
        "events_types": [event.type for event in events],
        "events_job_ids": [event.job_id for event in events],
        "events_payloads": [Jsonb(dict(event.payload)) for event in events],
        "events_move_states": [move.state if move else None for move in moves],
        "events_move_attempts": [move.attempt if move else None for move in moves],
        "events_move_ready_afters": [move.ready_after if move else None for move in moves],
    }


def appended(arguments: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> list[Appended]:
    """Where the events of `arguments` (`events_arguments`) landed, from their statement's
    rows (one per event, in order)."""
    expected = len(arguments["events_templates"])
    if len(rows) != expected:  # striatumd.append_events answers each: anything else is a bug
        raise AssertionError(f"{len(rows)} of {expected} events appended")
    return [
        Appended(
            chain=arguments["events_chain"],
            seq=int(row["seq"]),
            row_hash=str(row["row_hash"]),
            at=str(row["at"]),
        )
        for row in rows
    ]


def append_audit(
    conn: db.Conn,
    *,
    request_id: str,
    method: str,
    actor: str,
    role: str,
    ok: bool,
    error_code: str | None,
    params: Mapping[str, Any],
) -> Appended:
    """Append one audit row to the daemon-global chain. Call inside the request's transaction."""
    record = {
        "request_id": request_id,
        "method": method,
        "actor": actor,
        "role": role,
        "ok": ok,
        "error_code": error_code,
        "host": writer_host(),
        "params": dict(params),
    }
    return _append(
        conn,
        "append_audit",
        AUDIT_CHAIN,
        chain_body.v2_record(record, "params"),
        {**record, "params": Jsonb(record["params"])},
    )


def _append(
    conn: db.Conn, query: str, name: str, record: dict[str, Any], params: dict[str, Any]
) -> Appended:
    """Seal `record` (the hashed one) in the database under the head lock (see
    chain.template); `params` are the columns."""
    arguments = {**params, "chain": name, "template": chain.template(record)}
    row = db.fetch_one(conn, queries("chains")[query], arguments)
    if row is None:  # a chain's first append: create its head, then take the lock
        db.execute(conn, queries("chains")["ensure_head"], {"chain": name})
        row = db.fetch_one(conn, queries("chains")[query], arguments)
        assert row is not None
    return Appended(
        chain=name, seq=int(row["seq"]), row_hash=str(row["row_hash"]), at=str(row["at"])
    )


def read_head(conn: db.Conn, name: str) -> chain.Head | None:
    row = db.fetch_one(conn, queries("chains")["read_head"], {"chain": name})
    if row is None:
        return None
    return chain.Head(seq=int(row["seq"]), row_hash=str(row["row_hash"]))


def all_heads(conn: db.Conn) -> dict[str, chain.Head]:
    """Every chain's head by chain name."""
    rows = db.fetch_all(conn, queries("chains")["all_heads"])
    return {
        str(row["chain"]): chain.Head(seq=int(row["seq"]), row_hash=str(row["row_hash"]))
        for row in rows
    }


def event_chains(conn: db.Conn) -> list[str]:
    """The repository ids that have an event chain."""
    rows = db.fetch_all(conn, queries("chains")["list_event_chains"])
    return [str(row["chain"]).removeprefix("repo:") for row in rows]


_EVENT_COLUMNS = ("repo_id", "seq", "type", "run_id", "job_id", "actor", "host", "payload", "at")
_AUDIT_COLUMNS = (
    "seq",
    "at",
    "request_id",
    "method",
    "actor",
    "role",
    "ok",
    "error_code",
    "host",
    "params",
)


def scan_rows(
    conn: db.Conn, name: str, *, first_seq: int = 1, last_seq: int | None = None
) -> Iterator[chain.StoredRow]:
    """Stream a chain's rows in seq order with every column, for the deep check."""
    sql = queries("chains")
    bounds = {"first_seq": first_seq, "last_seq": last_seq}
    if name == AUDIT_CHAIN:
        return _scan(conn, sql["scan_audit"], bounds, _AUDIT_COLUMNS)
    return _scan(conn, sql["scan_events"], {**bounds, "repo_id": _repo_of(name)}, _EVENT_COLUMNS)


def scan_links(
    conn: db.Conn, name: str, *, first_seq: int = 1, last_seq: int | None = None
) -> Iterator[tuple[int, bytes, bytes, bytes]]:
    """Stream (seq, stored digest, canonical bytes, body column's JSON text) of a chain's rows,
    for the fast check (the body: an event's payload, an audit row's params)."""
    sql = queries("chains")
    bounds = {"first_seq": first_seq, "last_seq": last_seq}
    if name == AUDIT_CHAIN:
        return _scan_links(conn, sql["scan_audit_links"], bounds)
    return _scan_links(conn, sql["scan_event_links"], {**bounds, "repo_id": _repo_of(name)})


def _repo_of(name: str) -> str:
    return name.removeprefix("repo:")


def _scan(
    conn: db.Conn, query: Any, params: dict[str, Any], columns: tuple[str, ...]
) -> Iterator[chain.StoredRow]:
    with db.translated_errors(), conn.transaction(), conn.cursor(name="chain_scan") as cursor:
        cursor.itersize = _SCAN_BATCH
        cursor.execute(query, params)
        for row in cursor:
            yield chain.StoredRow(
                seq=row["seq"],
                previous_hash=row["previous_hash"],
                row_hash=row["row_hash"],
                canonical=bytes(row["canonical"]),
                columns={c: row[c] for c in columns},
            )


class _JsonbText(Loader):
    """A binary jsonb value as its JSON text, unparsed (the walk parses it more cheaply)."""

    format = Format.BINARY

    def load(self, data: Any) -> bytes:
        return bytes(data[1:])  # after the format version byte


def _scan_links(
    conn: db.Conn, query: Any, params: dict[str, Any]
) -> Iterator[tuple[int, bytes, bytes, bytes]]:
    # Binary results: bytea arrives as bytes with no hex decoding, the costliest part here;
    # jsonb as its text: psycopg's own loader costs twice what json.loads does in the walk.
    with (
        db.translated_errors(),
        conn.transaction(),
        conn.cursor(name="chain_links", row_factory=tuple_row, binary=True) as cursor,
    ):
        cursor.adapters.register_loader("jsonb", _JsonbText)
        cursor.itersize = _SCAN_BATCH
        cursor.execute(query, params)
        yield from cursor


def stored_hash_at(conn: db.Conn, name: str, seq: int) -> str | None:
    """The row_hash stored at one position of a chain, or None if there is no such row."""
    sql = queries("chains")
    if name == AUDIT_CHAIN:
        row = db.fetch_one(conn, sql["audit_hash_at"], {"seq": seq})
    else:
        row = db.fetch_one(conn, sql["event_hash_at"], {"repo_id": _repo_of(name), "seq": seq})
    return None if row is None else str(row["row_hash"])


@dataclass(frozen=True, kw_only=True)
class AuditEntry(Row):
    """One audit row, as the audit.list verb shows it."""

    seq: int
    at: str  # UTC, ISO 8601 with microseconds
    request_id: str
    method: str
    actor: str
    role: str  # the caller's role (or what stood for it when it had none)
    ok: bool
    error_code: str | None
    params: Mapping[str, Any]  # the request's parameters, as audited
    row_hash: str

    @classmethod
    def from_row(cls, row: DictRow) -> AuditEntry:
        return cls(
            seq=row["seq"],
            at=row["at"],
            request_id=row["request_id"],
            method=row["method"],
            actor=row["actor"],
            role=row["role"],
            ok=row["ok"],
            error_code=row["error_code"],
            params=row["params"],
            row_hash=row["row_hash"],
        )


def latest_audit(conn: db.Conn, limit: int) -> list[AuditEntry]:
    """The newest audit rows, newest first."""
    rows = db.fetch_all(conn, queries("chains")["latest_audit"], {"limit": limit})
    return [AuditEntry.from_row(row) for row in rows]


def event_seqs(conn: db.Conn, repo_id: str, hashes: Sequence[str]) -> dict[str, int]:
    """Each of `hashes` the repository's chain holds, with its seq (one query)."""
    params = {"repo_id": repo_id, "hashes": list(hashes)}
    rows = db.fetch_all(conn, queries("chains")["event_hashes_present"], params)
    return {str(row["row_hash"]): int(row["seq"]) for row in rows}

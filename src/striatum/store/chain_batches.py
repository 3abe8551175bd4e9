"""Reading a chain in batches of rows, for the fast check (`integrity/batch_walk.py`).

One result row per batch instead of one per chain row: most of a row-by-row read is the
client's work per row (a tuple, a loader call per column), and the fast check is a race with
hashing alone.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, NamedTuple, cast

from psycopg.rows import tuple_row

from striatum.model import chain
from striatum.store import connection as db
from striatum.store.sql import queries

# Seqs per batch: big enough that per-batch costs vanish, small enough that a whole batch
# (about 0.1 MB of v2 events) fits in the socket's buffer (Linux's default is 208 KiB). The
# server then writes a batch ahead and builds the next while this process checks the current
# one; a batch bigger than the buffer keeps the server waiting on its send instead. On 2 cores,
# 1M v2 events: 0.25-0.28x raw SHA-256 in batches of 100-400 seqs, 0.24 in batches of 1000.
SIZE = 200


class LinkBatch(NamedTuple):
    """Consecutive rows of a chain: `lo`..`hi` is the seq range the batch covers, the lists
    hold the rows found there in seq order (empty when none is): seq, row_hash, hashed bytes
    and, when asked for, the body column (`payload`, `params`) of each as one JSON array text
    (each element jsonb's rendering of one row's body; None when no row is there)."""

    lo: int
    hi: int
    seqs: list[int]
    row_hashes: list[str]
    canonicals: list[bytes]
    bodies: str | None


def scan(
    conn: db.Conn,
    name: str,
    *,
    first_seq: int = 1,
    last_seq: int | None = None,
    bodies: bool = True,
    size: int | None = None,
) -> Generator[LinkBatch, None, None]:
    """Stream a chain's rows from `first_seq` to `last_seq` (else its last row) in batches of
    `size` seqs (SIZE by default). Batches come in seq order as the database produces them,
    unsorted (see the query), so the caller checks each one's `lo`. Close the generator to
    stop early: the query is cancelled and its transaction (or savepoint) rolled back."""
    sql = queries("chains")
    batch = SIZE if size is None else size
    params = {"first_seq": first_seq, "last_seq": last_seq, "bodies": bodies, "batch": batch}
    if name == chain.AUDIT_CHAIN:
        return _stream(conn, sql["scan_audit_batches"], params)
    repo_id = name.removeprefix("repo:")
    return _stream(conn, sql["scan_event_batches"], {**params, "repo_id": repo_id})


def _stream(conn: db.Conn, query: Any, params: dict[str, Any]) -> Generator[LinkBatch, None, None]:
    # A stream, not a server-side cursor: the server builds the next batches while this
    # process checks the current one, instead of waiting for each FETCH. Binary results:
    # bytea arrives as bytes, with no hex decoding.
    with (
        db.translated_errors(),
        conn.transaction(),
        conn.cursor(row_factory=tuple_row, binary=True) as cursor,
    ):
        # psycopg's stream is a generator: closing it cancels the query.
        rows = cast(Generator[tuple[Any, ...], None, None], cursor.stream(query, params))
        try:
            for lo, hi, seqs, row_hashes, canonicals, bodies in rows:
                yield LinkBatch(lo, hi, seqs or [], row_hashes or [], canonicals or [], bodies)
        except GeneratorExit:
            # Closed early: end the stream first (it cancels the query, which fails the
            # transaction), then leave the transaction block, which rolls it back (or the
            # savepoint inside a caller's transaction, which carries on).
            rows.close()
            raise

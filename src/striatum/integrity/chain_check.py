"""Verifying one chain, splitting a long one into ranges checked in parallel processes.

The fast check reads rows in batches and checks each batch as a whole (`batch_walk`); the
deep one reads full rows. Either is bound by one Python process on one core, so a chain
longer than PARALLEL_MIN_ROWS is cut into contiguous seq ranges, one per core (the fast
check leaves one core to the database, which builds its batches): this process
walks the first on its connection, and a started process each of the others, on a connection
of its own; each walk starts from the stored hash of the row before its range (which the
previous range verifies), and the walks are joined in order.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from striatum.integrity import batch_walk
from striatum.model import chain
from striatum.store import chain_batches, chains
from striatum.store import connection as db

PARALLEL_MIN_ROWS = 200_000


def verify_chain(
    database: db.Database, conn: db.Conn, name: str, *, deep: bool
) -> chain.ChainReport:
    """Walk one chain: links and hashes, plus columns against the bytes when deep."""
    head = chains.read_head(conn, name)
    workers = workers_for(0 if head is None else head.seq, deep=deep)
    bounds = [] if head is None or workers < 2 else split(head.seq, workers)
    if len(bounds) < 2:
        return verify_chain_serially(conn, name, deep=deep)
    rest = bounds[1:]
    # spawn, not fork: a forked child would share (and on exit, close) our connection's socket.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(len(rest), mp_context=context) as pool:
        others = [pool.submit(walk_range, database, name, lo, hi, deep) for lo, hi in rest]
        # This process walks the first range meanwhile, on the caller's connection: one
        # process fewer to start, and no core left idle while the others start.
        first = _walk(conn, name, bounds[0][0], bounds[0][1], deep)
        walks = [first, *(other.result() for other in others)]
    return _finish(conn, name, walks)


def workers_for(rows: int, *, deep: bool) -> int:
    """How many processes `verify_chain` walks a chain of `rows` rows with. The fast check
    keeps a core free for the server, whose batch building (array_agg, jsonb to text) is as
    busy as the walk: on 2 cores, one walker checked 1M rows at 502k rows/s, two at 385k."""
    if rows < PARALLEL_MIN_ROWS:
        return 1
    cores = min(os.cpu_count() or 1, 8)
    return max(1, cores if deep else cores - 1)


def verify_chain_serially(conn: db.Conn, name: str, *, deep: bool) -> chain.ChainReport:
    """Walk one chain on this connection alone (inside a daemon request)."""
    return _finish(conn, name, [_walk(conn, name, 1, None, deep)])


def _finish(conn: db.Conn, name: str, walks: list[chain.Walk]) -> chain.ChainReport:
    """Join the walks and compare their end with the head, read after them: each statement
    sees what was committed when it began, so rows appended while the walk ran are past its
    end. A head beyond the walk whose own row is there is such an append, not a break."""
    head = chains.read_head(conn, name)
    last = walks[-1].last if walks and walks[-1].first_break is None else None
    if (
        head is not None
        and last is not None
        and head.seq > last.seq
        and chains.stored_hash_at(conn, name, head.seq) == head.row_hash
    ):
        head = last
    return chain.finish_walks(name, walks, head)


def verify_extension(
    conn: db.Conn, name: str, anchor: chain.Head | None, head: chain.Head
) -> chain.ChainBreak | None:
    """Whether rows after an anchored position (the whole chain when none) link up to `head`:
    hashes and links only (what an anchor vouches for; body columns are doctor's business).

    The walk starts from the anchored hash (the caller has checked the row at `anchor.seq`
    still has it): only the rows added since are read."""
    lo = 1 if anchor is None else anchor.seq + 1
    start = chain.GENESIS_HASH if anchor is None else anchor.row_hash
    walk = fast_walk(conn, name, lo, head.seq, start_hash=start, bodies=False)
    return chain.finish_walks(name, [walk], head).first_break


def split(last_seq: int, parts: int) -> list[tuple[int, int | None]]:
    """Contiguous ranges covering 1..last_seq; the last one is open so extra rows show up."""
    size = -(-last_seq // parts)
    bounds: list[tuple[int, int | None]] = [
        (lo, lo + size - 1) for lo in range(1, last_seq + 1, size)
    ]
    bounds[-1] = (bounds[-1][0], None)
    return bounds


def walk_range(database: db.Database, name: str, lo: int, hi: int | None, deep: bool) -> chain.Walk:
    """In a worker process: walk rows lo..hi of a chain on a connection of its own."""
    conn = db.connect_admin(database, autocommit=True)
    try:
        return _walk(conn, name, lo, hi, deep)
    finally:
        conn.close()


def _walk(conn: db.Conn, name: str, lo: int, hi: int | None, deep: bool) -> chain.Walk:
    start_hash = chain.GENESIS_HASH
    if lo > 1:  # the row before the range, whose hash the previous range verifies
        start_hash = chains.stored_hash_at(conn, name, lo - 1) or chain.GENESIS_HASH
    if deep:
        rows = chains.scan_rows(conn, name, first_seq=lo, last_seq=hi)
        return chain.walk_rows(name, rows, deep=True, start_seq=lo, start_hash=start_hash)
    return fast_walk(conn, name, lo, hi, start_hash=start_hash)


def fast_walk(
    conn: db.Conn, name: str, lo: int, hi: int | None, *, start_hash: str, bodies: bool = True
) -> chain.Walk:
    """The fast check of rows lo..hi (to the end when hi is None): in batches, and row by row
    from a gap on (rare: a broken chain), so that the break names the row after the gap."""
    scan = chain_batches.scan(conn, name, first_seq=lo, last_seq=hi, bodies=bodies)
    with contextlib.closing(scan) as batches:
        fast = batch_walk.walk_batches(
            name, batches, start_seq=lo, start_hash=start_hash, bodies=bodies
        )
    if fast.complete:
        return fast.walk
    after = fast.walk.last
    links = chains.scan_links(conn, name, first_seq=after.seq + 1, last_seq=hi)
    rest = chain.walk_links(
        name, links, start_seq=after.seq + 1, start_hash=after.row_hash, bodies=bodies
    )
    return chain.Walk(rows=fast.walk.rows + rest.rows, last=rest.last, first_break=rest.first_break)

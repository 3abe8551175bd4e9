"""The fast check over batches of rows (`store.chain_batches`), each checked as a whole.

A batch passes when its seqs are exactly its range, every SHA-256 of its hashed bytes equals
its stored row_hash, every record links to the row before it, and (unless only positions are
asked for) every body column is the body its record covers: the checks `chain.walk_links`
makes row by row, made with a few list operations per batch instead of a few dozen Python
steps per row. A batch that does not pass as a whole is walked row by row (`chain.walk_rows`),
which names the first bad row, or finds a false alarm (a body the quick encoding cannot prove)
and carries on. Pure: the batches come in, a walk goes out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from striatum.model import chain, chain_body

if TYPE_CHECKING:
    from striatum.store.chain_batches import LinkBatch

# As chain.linked_hash: the last occurrence in a record is its top-level link.
_LINK_KEY = b'"previous_hash":"'


@dataclass(frozen=True, kw_only=True)
class BatchWalk:
    """How far the batches got: `complete` unless a gap (or a batch out of place) stopped the
    walk before any break, in which case the rows after `walk.last` are still to be walked."""

    walk: chain.Walk
    complete: bool


def walk_batches(
    name: str,
    batches: Iterable[LinkBatch],
    *,
    start_seq: int = 1,
    start_hash: str = chain.GENESIS_HASH,
    bodies: bool = True,
) -> BatchWalk:
    """Walk batches in seq order from `start_seq` (the row before it having `start_hash`)."""
    expected, running, count = start_seq, start_hash, 0
    for batch in batches:
        if batch.lo != expected:
            return _stopped(count, expected, running)
        whole = batch.seqs == list(range(batch.lo, batch.hi + 1))
        if whole and _passes(name, batch, running, bodies):
            expected, running, count = batch.hi + 1, batch.row_hashes[-1], count + len(batch.seqs)
            continue
        rows = _stored_rows(name, batch, running, bodies)
        walk = chain.walk_rows(name, rows, start_seq=expected, start_hash=running)
        if walk.first_break is not None:
            found = chain.Walk(rows=count + walk.rows, last=walk.last, first_break=walk.first_break)
            return BatchWalk(walk=found, complete=True)
        expected, running, count = walk.last.seq + 1, walk.last.row_hash, count + walk.rows
        if not whole:  # rows missing at the batch's end: the next row found says where
            return _stopped(count, expected, running)
    return BatchWalk(walk=_walked(count, expected, running), complete=True)


def _passes(name: str, batch: LinkBatch, running: str, bodies: bool) -> bool:
    canonicals, sha256 = batch.canonicals, hashlib.sha256
    # One hex string for the batch instead of one per row: with every stored row_hash 64
    # long, the joined texts are equal only if each row_hash is its record's SHA-256.
    hashes = b"".join([sha256(data).digest() for data in canonicals]).hex()
    stored = batch.row_hashes
    if hashes != "".join(stored) or len(stored) != len(canonicals) or _not_all_64(stored):
        return False
    # Each slice is at most 64 bytes and each expected link exactly 64, so the joined
    # strings are equal only if every record links to the row before it.
    start = len(_LINK_KEY)
    links = b"".join([c[(i := c.rfind(_LINK_KEY) + start) : i + 64] for c in canonicals])
    if links != (running + hashes[:-64]).encode():
        return False
    if not bodies:
        return True
    key = chain_body.body_key(name)
    return batch.bodies is not None and chain_body.bodies_match(key, canonicals, batch.bodies)


def _not_all_64(texts: list[str]) -> bool:
    return bool(texts) and set(map(len, texts)) != {64}


def _stored_rows(name: str, batch: LinkBatch, running: str, bodies: bool) -> list[chain.StoredRow]:
    """The batch as full rows for `chain.walk_rows`, the previous_hash column standing in as
    what the walk expects (that column is the deep check's business)."""
    key = chain_body.body_key(name)
    previous = [running, *batch.row_hashes[:-1]]
    # The row-by-row walk's parser, the bodies' own: one whole JSON value each (jsonb's text),
    # so the array holds one per row, in seq order.
    values = json.loads(batch.bodies) if bodies and batch.bodies is not None else None
    rows = []
    for index, seq in enumerate(batch.seqs):
        columns = None if values is None else {key: values[index]}
        rows.append(
            chain.StoredRow(
                seq, previous[index], batch.row_hashes[index], batch.canonicals[index], columns
            )
        )
    return rows


def _walked(count: int, expected: int, running: str) -> chain.Walk:
    return chain.Walk(
        rows=count, last=chain.Head(seq=expected - 1, row_hash=running), first_break=None
    )


def _stopped(count: int, expected: int, running: str) -> BatchWalk:
    return BatchWalk(walk=_walked(count, expected, running), complete=False)

"""Hash chains: sealing a record and verifying a sequence of stored rows.

A record is sealed by adding `previous_hash` (the `row_hash` of the row before it, or 64 zeros
for the first row), encoding the whole record with RFC 8785, and taking the SHA-256 of those
bytes as `row_hash`. The canonical bytes are stored as written, so verification re-hashes them
instead of re-encoding columns; a deep check also compares the columns against the bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from striatum.model.canonical import canonical_bytes

GENESIS_HASH = "0" * 64
_LINK_KEY = b'"previous_hash":"'


@dataclass(frozen=True, kw_only=True)
class Sealed:
    """A record ready to insert: its canonical bytes and their hash."""

    record: Mapping[str, Any]
    canonical: bytes
    row_hash: str


@dataclass(frozen=True, kw_only=True)
class StoredRow:
    """One chain row as read back from the store."""

    seq: int
    previous_hash: str
    row_hash: str
    canonical: bytes
    columns: Mapping[str, Any] | None = None  # the queryable columns, for a deep check


@dataclass(frozen=True, kw_only=True)
class Head:
    """The chain head as the store (or an outside anchor) records it."""

    seq: int
    row_hash: str


@dataclass(frozen=True, kw_only=True)
class ChainBreak:
    """The first row at which a chain stops verifying."""

    chain: str
    seq: int
    reason: str
    expected: str | None = None
    stored: str | None = None


@dataclass(frozen=True, kw_only=True)
class ChainReport:
    """The outcome of walking one chain."""

    chain: str
    rows: int
    head: Head | None
    first_break: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def seal(record: Mapping[str, Any], previous_hash: str) -> Sealed:
    """Link `record` to its predecessor and hash it."""
    if "previous_hash" in record or "row_hash" in record:
        raise ValueError("a record to seal must not carry previous_hash or row_hash")
    linked = {**record, "previous_hash": previous_hash}
    data = canonical_bytes(linked)
    return Sealed(record=linked, canonical=data, row_hash=hashlib.sha256(data).hexdigest())


def linked_hash(canonical: bytes) -> str:
    """The previous_hash written inside canonical bytes.

    Top-level keys that sort after `previous_hash` hold only scalars, and a string value can
    never contain the unescaped pattern, so the last occurrence is the top-level link.
    """
    index = canonical.rfind(_LINK_KEY)
    if index < 0:
        return ""
    start = index + len(_LINK_KEY)
    return canonical[start : start + 64].decode("ascii", "replace")


def verify_rows(
    chain: str, rows: Iterable[StoredRow], head: Head | None, *, deep: bool = False
) -> ChainReport:
    """Walk `rows` in seq order and report the first row that breaks the chain."""
    expected_seq, running_hash, count = 1, GENESIS_HASH, 0
    for row in rows:
        problem = _check_row(chain, row, expected_seq, running_hash, deep)
        if problem is not None:
            return ChainReport(chain=chain, rows=count, head=head, first_break=problem)
        expected_seq, running_hash, count = row.seq + 1, row.row_hash, count + 1
    last = Head(seq=expected_seq - 1, row_hash=running_hash)
    return ChainReport(chain=chain, rows=count, head=head, first_break=_check_head(chain, last, head))


def _check_row(
    chain: str, row: StoredRow, expected_seq: int, running_hash: str, deep: bool
) -> ChainBreak | None:
    if row.seq != expected_seq:
        return ChainBreak(
            chain=chain, seq=row.seq, reason="sequence gap or reorder",
            expected=str(expected_seq), stored=str(row.seq),
        )
    actual = hashlib.sha256(row.canonical).hexdigest()
    if actual != row.row_hash:
        return ChainBreak(
            chain=chain, seq=row.seq, reason="row_hash does not match the row's canonical bytes",
            expected=actual, stored=row.row_hash,
        )
    for label, link in (("previous_hash column", row.previous_hash),
                        ("previous_hash in canonical bytes", linked_hash(row.canonical))):
        if link != running_hash:
            return ChainBreak(
                chain=chain, seq=row.seq, reason=f"{label} does not link to the previous row",
                expected=running_hash, stored=link,
            )
    if deep and row.columns is not None:
        return _check_columns(chain, row)
    return None


def _check_columns(chain: str, row: StoredRow) -> ChainBreak | None:
    written = json.loads(row.canonical)
    assert row.columns is not None
    for name, value in row.columns.items():
        if written.get(name) != value:
            return ChainBreak(
                chain=chain, seq=row.seq, reason=f"column {name!r} differs from the hashed record",
                expected=json.dumps(written.get(name), sort_keys=True),
                stored=json.dumps(value, sort_keys=True, default=str),
            )
    return None


def _check_head(chain: str, last: Head, head: Head | None) -> ChainBreak | None:
    if head is None:
        if last.seq == 0:
            return None
        return ChainBreak(chain=chain, seq=last.seq, reason="rows exist but the chain has no head")
    if head.seq != last.seq or head.row_hash != last.row_hash:
        return ChainBreak(
            chain=chain, seq=head.seq, reason="chain head does not match the last row (truncated or rewritten tail)",
            expected=f"{head.seq}:{head.row_hash}", stored=f"{last.seq}:{last.row_hash}",
        )
    return None


def check_anchor(chain: str, rows_by_seq: Mapping[int, str], anchor: Head) -> ChainBreak | None:
    """Compare a head recorded outside the database with the row now stored at its seq."""
    stored = rows_by_seq.get(anchor.seq)
    if stored == anchor.row_hash:
        return None
    return ChainBreak(
        chain=chain, seq=anchor.seq, reason="row differs from the head anchored outside the database",
        expected=anchor.row_hash, stored=stored or "missing",
    )

"""Hash chains: sealing a record and verifying a sequence of stored rows.

A record is sealed by adding `previous_hash` (the `row_hash` of the row before it, or 64 zeros
for the first row), encoding the whole record with RFC 8785, and taking the SHA-256 of those
bytes as `row_hash`. The canonical bytes are stored as written, so verification re-hashes them
instead of re-encoding columns. Every check also compares the stored body column (`payload`,
`params`) with what the record covers (`model/chain_body.py`); a deep check compares every
column against the bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from striatum.model.canonical import canonical_bytes, sort_keys
from striatum.model.chain_body import AUDIT_CHAIN as AUDIT_CHAIN
from striatum.model.chain_body import body_key, body_matcher, stored_body, written_body
from striatum.model.chain_body import same_json as same_json

GENESIS_HASH = "0" * 64
_LINK_KEY = b'"previous_hash":"'
# Filled in by the database under the head lock, so an append needs one round trip.
DEFERRED_KEYS = ("at", "previous_hash", "seq")
_ABSENT = object()


@dataclass(frozen=True, kw_only=True)
class Sealed:
    """A record ready to insert: its canonical bytes and their hash."""

    record: Mapping[str, Any]
    canonical: bytes
    row_hash: str


class StoredRow(NamedTuple):
    """One chain row as read back from the store (a tuple: millions are read per check)."""

    seq: int
    previous_hash: str
    row_hash: str
    canonical: bytes
    columns: Mapping[str, Any] | None = None  # the queryable columns (body included)


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


def template(record: Mapping[str, Any]) -> bytes:
    """The record's canonical bytes with the chain position left open.

    Each deferred value (`at`, `previous_hash`, `seq`) is written as the marker
    `\\x01<key>\\x01`. RFC 8785 escapes every control character inside strings and emits none
    elsewhere, so a raw 0x01 byte can only be one of these markers. `fill` (or the database,
    under the head lock) replaces them; the result equals `seal(...)`'s bytes.
    """
    present = [key for key in DEFERRED_KEYS if key in record]
    if present:
        raise ValueError(f"a record template must not carry {present}")
    keys = sort_keys([*record, *DEFERRED_KEYS])
    parts = [b"{"]
    for index, key in enumerate(keys):
        parts.append(b"," if index else b"")
        parts.append(canonical_bytes(key) + b":")
        if key in DEFERRED_KEYS:
            parts.append(b"\x01" + key.encode() + b"\x01")
        else:
            parts.append(canonical_bytes(record[key]))
    parts.append(b"}")
    return b"".join(parts)


def fill(template_bytes: bytes, *, seq: int, at: str, previous_hash: str) -> bytes:
    """Close a template's markers (the same substitution the database performs)."""
    return (
        template_bytes.replace(b"\x01seq\x01", str(seq).encode())
        .replace(b"\x01at\x01", canonical_bytes(at))
        .replace(b"\x01previous_hash\x01", canonical_bytes(previous_hash))
    )


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


@dataclass(frozen=True, kw_only=True)
class Walk:
    """How far a fast walk over part of a chain got."""

    rows: int
    last: Head  # the last verified row (or the starting point when no row was read)
    first_break: ChainBreak | None


def verify_rows(
    chain: str, rows: Iterable[StoredRow], head: Head | None, *, deep: bool = False
) -> ChainReport:
    """Walk a whole chain of full rows and compare its end with the head."""
    return finish_walks(chain, [walk_rows(chain, rows, deep=deep)], head)


def walk_rows(
    chain: str,
    rows: Iterable[StoredRow],
    *,
    deep: bool = False,
    start_seq: int = 1,
    start_hash: str = GENESIS_HASH,
) -> Walk:
    """Walk full rows in seq order and stop at the first row that breaks the chain.

    The loop does only the cheap comparisons (and the body column, when the rows carry it);
    the first row failing any of them is handed to `_check_row`, which says precisely what is
    wrong with it.
    """
    expected_seq, running_hash, count = start_seq, start_hash, 0
    sha256, key, key_len = hashlib.sha256, _LINK_KEY, len(_LINK_KEY)
    body, matches = body_key(chain), body_matcher(body_key(chain))
    for row in rows:
        seq, previous_hash, row_hash, canonical, columns = row
        start = canonical.rfind(key) + key_len
        if (
            seq != expected_seq
            or previous_hash != running_hash
            or sha256(canonical).hexdigest() != row_hash
            or canonical[start : start + 64] != running_hash.encode()
            or (columns is not None and body in columns and not matches(canonical, columns[body]))
            or (deep and columns is not None and _check_columns(chain, row) is not None)
        ):
            problem = _check_row(chain, row, expected_seq, running_hash, deep)
            last = Head(seq=expected_seq - 1, row_hash=running_hash)
            return Walk(rows=count, last=last, first_break=problem)
        expected_seq, running_hash, count = seq + 1, row_hash, count + 1
    return Walk(
        rows=count, last=Head(seq=expected_seq - 1, row_hash=running_hash), first_break=None
    )


def walk_links(
    chain: str,
    rows: Iterable[tuple[int, bytes, bytes, bytes]],
    *,
    start_seq: int = 1,
    start_hash: str = GENESIS_HASH,
    bodies: bool = True,
) -> Walk:
    """The fast check over (seq, stored SHA-256 digest, canonical bytes, body JSON text) rows.

    `bodies=False` checks hashes and links alone (anchoring: positions are what an anchor
    vouches for, and a body column is doctor's to compare; a quarter of the cost).

    Hashes, links and the body column (an event's payload, an audit row's params) against
    what the record covers: the previous_hash column and the other columns are the deep
    check's business. Digests are compared as bytes, which is what makes this the fast path.
    A walk may start mid-chain (`start_seq`, with the stored hash of the row before it), so a
    long chain can be split into ranges walked in parallel.
    """
    expected_seq, running, count = start_seq, start_hash.encode(), 0
    sha256, key, key_len = hashlib.sha256, _LINK_KEY, len(_LINK_KEY)
    body, matches, loads = body_key(chain), body_matcher(body_key(chain)), json.loads
    for seq, digest, canonical, stored in rows:
        start = canonical.rfind(key) + key_len
        if (
            seq != expected_seq
            or sha256(canonical).digest() != digest
            or canonical[start : start + 64] != running
            or (bodies and not matches(canonical, loads(stored)))
        ):
            columns = {body: loads(stored)}
            row = StoredRow(seq, running.decode(), digest.hex(), canonical, columns)
            problem = _check_row(chain, row, expected_seq, running.decode(), deep=False)
            last = Head(seq=expected_seq - 1, row_hash=running.decode())
            return Walk(rows=count, last=last, first_break=problem)
        expected_seq, running, count = seq + 1, digest.hex().encode(), count + 1
    return Walk(
        rows=count, last=Head(seq=expected_seq - 1, row_hash=running.decode()), first_break=None
    )


def verify_links(
    chain: str, rows: Iterable[tuple[int, bytes, bytes, bytes]], head: Head | None
) -> ChainReport:
    """Walk a whole chain with the fast check and compare its end with the head."""
    return finish_walks(chain, [walk_links(chain, rows)], head)


def finish_walks(chain: str, walks: Iterable[Walk], head: Head | None) -> ChainReport:
    """Join consecutive walks (in seq order) into one report, ending with the head check."""
    count, last = 0, Head(seq=0, row_hash=GENESIS_HASH)
    for walk in walks:
        count += walk.rows
        if walk.first_break is not None:
            return ChainReport(chain=chain, rows=count, head=head, first_break=walk.first_break)
        last = walk.last
    return ChainReport(
        chain=chain, rows=count, head=head, first_break=_check_head(chain, last, head)
    )


def _check_row(
    chain: str, row: StoredRow, expected_seq: int, running_hash: str, deep: bool
) -> ChainBreak | None:
    if row.seq != expected_seq:
        return ChainBreak(
            chain=chain,
            seq=row.seq,
            reason="sequence gap or reorder",
            expected=str(expected_seq),
            stored=str(row.seq),
        )
    actual = hashlib.sha256(row.canonical).hexdigest()
    if actual != row.row_hash:
        return ChainBreak(
            chain=chain,
            seq=row.seq,
            reason="row_hash does not match the row's canonical bytes",
            expected=actual,
            stored=row.row_hash,
        )
    for label, link in (
        ("previous_hash column", row.previous_hash),
        ("previous_hash in canonical bytes", linked_hash(row.canonical)),
    ):
        if link != running_hash:
            return ChainBreak(
                chain=chain,
                seq=row.seq,
                reason=f"{label} does not link to the previous row",
                expected=running_hash,
                stored=link,
            )
    body = body_key(chain)
    stored = _ABSENT if row.columns is None else row.columns.get(body, _ABSENT)
    if stored is not _ABSENT and not body_matcher(body)(row.canonical, stored):
        return ChainBreak(
            chain=chain,
            seq=row.seq,
            reason=f"column {body!r} differs from the hashed record",
            expected=written_body(row.canonical, body),
            stored=stored_body(stored, row.canonical, body),
        )
    if deep and row.columns is not None:
        return _check_columns(chain, row)
    return None


def _check_columns(chain: str, row: StoredRow) -> ChainBreak | None:
    try:
        written = json.loads(row.canonical)
    except ValueError:  # not UTF-8 or not JSON (its hash may still match: written so)
        return ChainBreak(chain=chain, seq=row.seq, reason="hashed bytes are not a JSON record")
    if not isinstance(written, dict):
        return ChainBreak(chain=chain, seq=row.seq, reason="hashed bytes are not a JSON object")
    assert row.columns is not None
    body = body_key(chain)
    for name, value in row.columns.items():
        if name != body and not same_json(written.get(name), value):
            return ChainBreak(
                chain=chain,
                seq=row.seq,
                reason=f"column {name!r} differs from the hashed record",
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
            chain=chain,
            seq=head.seq,
            reason="chain head does not match the last row (truncated or rewritten tail)",
            expected=f"{head.seq}:{head.row_hash}",
            stored=f"{last.seq}:{last.row_hash}",
        )
    return None

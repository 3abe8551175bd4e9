"""The bundle's files, built from exported rows: pure, byte-stable, hashed.

Every data file is JSON Lines in RFC 8785 form, one row a line, rows in a fixed order; the
manifest is written with sorted keys, no whitespace and ASCII escapes, so anyone can
re-serialize it to check `bundle_hash`. No clock is read here.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from striatum.corpus.redact import Redactor
from striatum.model import chain_body
from striatum.model.canonical import canonical_bytes

if TYPE_CHECKING:  # the bundle stays pure: `corpus verify` runs without a database driver
    from striatum.store.corpus import ChainRow

FORMAT = "striatum.corpus.v2"
FORMATS = ("striatum.corpus.v1", FORMAT)  # what `corpus verify` reads
TABLES = ("runs", "jobs", "attempts", "sessions", "leases", "verdicts", "blockers", "artifacts")
OUTSIDE = "outside the exported scope"


def event_lines(
    rows: Sequence[ChainRow], in_scope: set[str] | None, redactor: Redactor
) -> list[dict[str, Any]]:
    """Chain rows as bundle lines (docs/SPEC.md §11).

    A v2 row keeps its canonical text whole, so every such line is anchored; its payload
    travels beside it, redacted or not. A v1 row is whole, redacted (its record rewritten), or
    link-only. Only the payload is redacted: the chain fields (seq, hashes, ids) stay exact.
    """
    lines = []
    for row in rows:
        base = {"seq": row.seq, "previous_hash": row.previous_hash, "row_hash": row.row_hash}
        outside = in_scope is not None and row.run_id not in in_scope
        canonical = row.canonical.decode("utf-8")
        if chain_body.is_v2(row.canonical):
            lines.append(_v2_line(base, canonical, row.payload, redactor, outside=outside))
        elif outside:
            lines.append({**base, "omitted": OUTSIDE})
        else:
            lines.append(_v1_line(base, canonical, redactor))
    return lines


def _v2_line(
    base: dict[str, Any], canonical: str, payload: Any, redactor: Redactor, *, outside: bool
) -> dict[str, Any]:
    if outside:  # another run's event: its record (ids, type, digest), never its payload
        return {**base, "canonical": canonical, "omitted": OUTSIDE}
    before = Counter(redactor.counts)
    redacted = redactor.value(chain_body.as_doubles(payload))
    rules = dict(sorted((redactor.counts - before).items()))
    line = {**base, "canonical": canonical, "payload": redacted}
    return {**line, "redacted": {"rules": rules}} if rules else line


def _v1_line(base: dict[str, Any], canonical: str, redactor: Redactor) -> dict[str, Any]:
    record = json.loads(canonical)
    before = sum(redactor.counts.values())
    redacted = {**record, "payload": redactor.value(record.get("payload", {}))}
    if sum(redactor.counts.values()) == before:
        return {**base, "canonical": canonical}
    original = hashlib.sha256(canonical_bytes(record.get("payload", {}))).hexdigest()
    return {**base, "record": redacted, "redacted": {"original_payload_sha256": original}}


def jsonl(rows: list[Any]) -> bytes:
    return b"".join(canonical_bytes(row) + b"\n" for row in rows)


def manifest_text(manifest: Mapping[str, Any]) -> str:
    """The manifest's hashed form (also how it is written, plus the hash)."""
    return json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def assemble(
    data: dict[str, list[Any]],
    *,
    scope: dict[str, Any],
    chain: dict[str, Any],
    redactions: Mapping[str, int],
) -> dict[str, bytes]:
    """{file name: bytes} for a whole bundle: data files, manifest.json, SHA256SUMS."""
    files = {f"{name}.jsonl": jsonl(rows) for name, rows in data.items()}
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "scope": scope,
        "chain": chain,
        "counts": {name: len(rows) for name, rows in sorted(data.items())},
        "redactions": dict(sorted(redactions.items())),
        "files": {name: hashlib.sha256(body).hexdigest() for name, body in sorted(files.items())},
    }
    manifest["bundle_hash"] = hashlib.sha256(manifest_text(manifest).encode()).hexdigest()
    files["manifest.json"] = (manifest_text(manifest) + "\n").encode()
    files["SHA256SUMS"] = "".join(
        f"{hashlib.sha256(body).hexdigest()}  {name}\n" for name, body in sorted(files.items())
    ).encode()
    return files

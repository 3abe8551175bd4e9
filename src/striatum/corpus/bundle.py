"""The bundle's files, built from exported rows: pure, byte-stable, hashed.

Every data file is JSON Lines in RFC 8785 form, one row a line, rows in a fixed order; the
manifest is written with sorted keys, no whitespace and ASCII escapes, so anyone can
re-serialize it to check `bundle_hash`. No clock is read here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from striatum.corpus.redact import Redactor
from striatum.model.canonical import canonical_bytes

if TYPE_CHECKING:  # the bundle stays pure: `corpus verify` runs without a database driver
    from striatum.store.corpus import ChainRow

FORMAT = "striatum.corpus.v1"
TABLES = ("runs", "jobs", "attempts", "sessions", "leases", "verdicts", "blockers", "artifacts")


def event_lines(
    rows: Sequence[ChainRow], in_scope: set[str] | None, redactor: Redactor
) -> list[dict[str, Any]]:
    """Chain rows as bundle lines: whole (canonical text), redacted, or link-only."""
    lines = []
    for row in rows:
        base = {
            "seq": row.seq,
            "previous_hash": row.previous_hash,
            "row_hash": row.row_hash,
        }
        if in_scope is not None and row.run_id not in in_scope:
            lines.append({**base, "omitted": "outside the exported scope"})
            continue
        canonical = row.canonical.decode("utf-8")
        record = json.loads(canonical)
        before = sum(redactor.counts.values())
        # Only the payload is redacted: the chain fields (seq, hashes, ids) stay exact.
        redacted = {**record, "payload": redactor.value(record.get("payload", {}))}
        if sum(redactor.counts.values()) == before:
            lines.append({**base, "canonical": canonical})
        else:
            lines.append(
                {
                    **base,
                    "record": redacted,
                    "redacted": {
                        "original_payload_sha256": hashlib.sha256(
                            canonical_bytes(record.get("payload", {}))
                        ).hexdigest()
                    },
                }
            )
    return lines


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

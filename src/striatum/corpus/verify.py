"""Checking a bundle with no daemon and no database: manifest, files, counts, event chain.

Mirrors scripts/verify_corpus.py (which may not import striatum); tests keep them agreeing.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from striatum.corpus.bundle import FORMATS, manifest_text
from striatum.model import chain_body

REQUIRED = (
    "runs",
    "jobs",
    "attempts",
    "sessions",
    "leases",
    "verdicts",
    "blockers",
    "artifacts",
    "events",
)
OPTIONAL = ("contents", "scratch")


def first_failure(folder: Path) -> str | None:
    """None when the bundle holds; else one line naming the first thing that does not."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        if not isinstance(manifest, dict):
            return "manifest.json: not a JSON object"
        return (
            _manifest(manifest)
            or _sums(folder, manifest)
            or _counts(folder, manifest)
            or _chain(folder, manifest)
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        return f"unreadable bundle: {type(error).__name__}: {error}"


def _manifest(manifest: dict[str, Any]) -> str | None:
    if manifest.get("format") not in FORMATS:
        return f"manifest.json: format is {manifest.get('format')!r}, not one of {FORMATS}"
    body = {k: v for k, v in manifest.items() if k != "bundle_hash"}
    if hashlib.sha256(manifest_text(body).encode()).hexdigest() != manifest.get("bundle_hash"):
        return "manifest.json: bundle_hash does not match"
    stems = set(manifest["counts"])
    if not set(REQUIRED) <= stems or not stems <= set(REQUIRED) | set(OPTIONAL):
        return "manifest.json: counts do not name exactly the bundle's tables"
    if set(manifest["files"]) != {f"{stem}.jsonl" for stem in stems}:
        return "manifest.json: files do not name exactly the bundle's tables"
    return None


def _sums(folder: Path, manifest: dict[str, Any]) -> str | None:
    sums: dict[str, str] = {}
    for line in (folder / "SHA256SUMS").read_bytes().decode("utf-8").split("\n")[:-1]:
        digest, separator, name = line.partition("  ")
        if not separator or len(digest) != 64 or name in sums:
            return f"SHA256SUMS: malformed or repeated line {line[:80]!r}"
        sums[name] = digest
    expected = {**manifest["files"]}
    if set(sums) != {*expected, "manifest.json"}:
        return "SHA256SUMS: does not name exactly the bundle's files"
    for name in sorted(sums):
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        if name in expected and digest != expected[name]:
            return f"{name}: SHA-256 differs from the manifest"
        if sums[name] != digest:
            return f"{name}: SHA-256 differs from SHA256SUMS"
    return None


def _counts(folder: Path, manifest: dict[str, Any]) -> str | None:
    for name, count in manifest["counts"].items():
        lines = (folder / f"{name}.jsonl").read_bytes().count(b"\n")
        if lines != count:
            return f"{name}.jsonl: {lines} lines, manifest says {count}"
    return None


def _chain(folder: Path, manifest: dict[str, Any]) -> str | None:
    chain, scope = manifest["chain"], manifest["scope"]
    running, expected_seq = chain["first_previous_hash"], chain["first_seq"]
    if scope["kind"] == "repo" and (expected_seq != 1 or running != "0" * 64):
        return "events.jsonl: a repository bundle must start at the chain's genesis"
    lines = (folder / "events.jsonl").read_bytes().decode("utf-8").split("\n")[:-1]
    for number, line in enumerate(lines, 1):
        row = json.loads(line)
        where = f"events.jsonl line {number} (seq {row.get('seq')})"
        if row["seq"] != expected_seq or row["previous_hash"] != running:
            return f"{where}: does not follow the previous row"
        if "omitted" in row and (scope["kind"] == "repo" or number in (1, len(lines))):
            return f"{where}: an omitted line may only stand inside a run's stretch"
        problem = _line(row) or _record(row, running, chain["repo_id"])
        if problem:
            return f"{where}: {problem}"
        running, expected_seq = row["row_hash"], row["seq"] + 1
    if running != chain["head_hash"] or expected_seq - 1 != chain["last_seq"]:
        return "events.jsonl: the chain does not end at the head the manifest covers"
    return None


def _line(row: dict[str, Any]) -> str | None:
    """The line's shape, its canonical text's hash, and a v2 payload against its digest."""
    shape = {key for key in ("canonical", "record", "redacted", "omitted", "payload") if key in row}
    if "canonical" not in row:
        allowed = [{"record", "redacted"}, {"omitted"}]
    elif not chain_body.is_v2(row["canonical"].encode()):
        allowed = [{"canonical"}]
    else:
        allowed = [{"canonical", "payload"}, {"canonical", "payload", "redacted"}]
        allowed.append({"canonical", "omitted"})
    if shape not in allowed:
        return "holds neither a whole, a redacted nor an omitted row (see SPEC §11)"
    if "canonical" in row and sha256(row["canonical"]) != row["row_hash"]:
        return "row_hash is not the SHA-256 of its canonical record"
    if "payload" in row and "redacted" not in row:
        written = json.loads(row["canonical"]).get("payload_sha256")
        if (
            not isinstance(row["payload"], dict)
            or chain_body.body_digest(row["payload"]) != written
        ):
            return "payload does not match the payload_sha256 of its canonical record"
    return None


def _record(row: dict[str, Any], running: str, repo_id: str) -> str | None:
    record = json.loads(row["canonical"]) if "canonical" in row else row.get("record")
    if record is not None and (
        not isinstance(record, dict)
        or record.get("previous_hash") != running
        or record.get("seq") != row["seq"]
        or record.get("repo_id") != repo_id
    ):
        return "the record does not match its line"
    return None


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()

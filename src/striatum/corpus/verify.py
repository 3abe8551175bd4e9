"""Checking a bundle with no daemon and no database: manifest, files, counts, event chain.

Mirrors scripts/verify_corpus.py (which may not import striatum); a test keeps them agreeing.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from striatum.corpus.bundle import FORMAT, manifest_text


def first_failure(folder: Path) -> str | None:
    """None when the bundle holds; else one line naming the first thing that does not."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError) as error:
        return f"manifest.json: unreadable ({error})"
    try:
        return (_manifest(manifest) or _sums(folder, manifest) or _counts(folder, manifest)
                or _chain(folder, manifest))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        return f"unreadable bundle: {type(error).__name__}: {error}"


def _manifest(manifest: dict[str, Any]) -> str | None:
    if manifest.get("format") != FORMAT:
        return f"manifest.json: format is {manifest.get('format')!r}, not {FORMAT!r}"
    claimed = manifest.pop("bundle_hash", None)
    actual = hashlib.sha256(manifest_text(manifest).encode()).hexdigest()
    manifest["bundle_hash"] = claimed
    return None if claimed == actual else "manifest.json: bundle_hash does not match"


def _sums(folder: Path, manifest: dict[str, Any]) -> str | None:
    sums = {}
    try:
        for line in (folder / "SHA256SUMS").read_text("utf-8").splitlines():
            digest, _, name = line.partition("  ")
            sums[name] = digest
    except OSError as error:
        return f"SHA256SUMS: unreadable ({error})"
    expected = {**manifest["files"]}
    for name in [*expected, "manifest.json"]:
        path = folder / name
        if not path.is_file():
            return f"{name}: missing"
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if name in expected and digest != expected[name]:
            return f"{name}: SHA-256 differs from the manifest"
        if sums.get(name) != digest:
            return f"{name}: SHA-256 differs from SHA256SUMS"
    return None


def _counts(folder: Path, manifest: dict[str, Any]) -> str | None:
    for name, count in manifest["counts"].items():
        lines = (folder / f"{name}.jsonl").read_bytes().count(b"\n")
        if lines != count:
            return f"{name}.jsonl: {lines} lines, manifest says {count}"
    return None


def _chain(folder: Path, manifest: dict[str, Any]) -> str | None:
    chain = manifest["chain"]
    running, expected_seq = chain["first_previous_hash"], chain["first_seq"]
    for number, line in enumerate((folder / "events.jsonl").read_text("utf-8").splitlines(), 1):
        row = json.loads(line)
        where = f"events.jsonl line {number} (seq {row.get('seq')})"
        if row["seq"] != expected_seq or row["previous_hash"] != running:
            return f"{where}: does not follow the previous row"
        if "canonical" in row:
            record = json.loads(row["canonical"])
            if hashlib.sha256(row["canonical"].encode()).hexdigest() != row["row_hash"]:
                return f"{where}: row_hash is not the SHA-256 of its canonical record"
            if record.get("previous_hash") != running or record.get("seq") != row["seq"]:
                return f"{where}: the canonical record does not link to the previous row"
        running, expected_seq = row["row_hash"], row["seq"] + 1
    if running != chain["head_hash"] or expected_seq - 1 != chain["last_seq"]:
        return "events.jsonl: the chain does not end at the head the manifest covers"
    return None

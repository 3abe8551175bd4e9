#!/usr/bin/env python3
"""Verify a Striatum corpus bundle with the Python standard library alone.

usage: verify_corpus.py BUNDLE_DIR     (exit 0: it holds; exit 1: the first failure is printed)

The recipe (docs/SPEC.md §11):
1. manifest.json: `bundle_hash` is the SHA-256 of the manifest without `bundle_hash`, serialized
   with sorted keys, no whitespace, non-ASCII as \\uXXXX escapes.
2. Every file named in manifest "files" has that SHA-256, and SHA256SUMS (format of
   `sha256sum`) lists the same digest for it and for manifest.json.
3. Each `<name>.jsonl` has as many lines as manifest "counts"[name] says.
4. events.jsonl is one stretch of a hash chain: each line's seq follows the previous one and
   its previous_hash is the previous line's row_hash (the first line: chain.first_seq and
   chain.first_previous_hash). A line with "canonical" must hash to its row_hash, and the
   record it holds must carry the same seq and previous_hash. Lines marked "redacted" or
   "omitted" carry no hashable record: their row_hash is vouched for by the next line, whose
   hashed record contains it. The last row_hash and seq are chain.head_hash and last_seq.
"""

import hashlib
import json
import sys
from pathlib import Path


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_manifest(manifest: dict) -> str | None:
    if manifest.get("format") != "striatum.corpus.v1":
        return "manifest.json: unknown format"
    body = {k: v for k, v in manifest.items() if k != "bundle_hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    if sha256(text.encode()) != manifest.get("bundle_hash"):
        return "manifest.json: bundle_hash does not match"
    return None


def check_files(folder: Path, manifest: dict) -> str | None:
    try:
        sums = dict(reversed(line.split("  ", 1))
                    for line in (folder / "SHA256SUMS").read_text("utf-8").splitlines())
    except (OSError, ValueError):
        return "SHA256SUMS: unreadable"
    for name in [*manifest["files"], "manifest.json"]:
        if not (folder / name).is_file():
            return f"{name}: missing"
        digest = sha256((folder / name).read_bytes())
        if name in manifest["files"] and digest != manifest["files"][name]:
            return f"{name}: SHA-256 differs from the manifest"
        if sums.get(name) != digest:
            return f"{name}: SHA-256 differs from SHA256SUMS"
    for name, count in manifest["counts"].items():
        lines = (folder / f"{name}.jsonl").read_bytes().count(b"\n")
        if lines != count:
            return f"{name}.jsonl: {lines} lines, manifest says {count}"
    return None


def check_chain(folder: Path, chain: dict) -> str | None:
    running, expected = chain["first_previous_hash"], chain["first_seq"]
    text = (folder / "events.jsonl").read_text("utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        row = json.loads(line)
        where = f"events.jsonl line {number} (seq {row.get('seq')})"
        if row["seq"] != expected or row["previous_hash"] != running:
            return f"{where}: does not follow the previous row"
        if "canonical" in row:
            record = json.loads(row["canonical"])
            if sha256(row["canonical"].encode()) != row["row_hash"]:
                return f"{where}: row_hash is not the SHA-256 of its canonical record"
            if record.get("previous_hash") != running or record.get("seq") != row["seq"]:
                return f"{where}: the canonical record does not link to the previous row"
        running, expected = row["row_hash"], row["seq"] + 1
    if running != chain["head_hash"] or expected - 1 != chain["last_seq"]:
        return "events.jsonl: the chain does not end at the head the manifest covers"
    return None


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.splitlines()[2].strip(), file=sys.stderr)
        return 2
    folder = Path(sys.argv[1])
    try:
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        failure = (check_manifest(manifest) or check_files(folder, manifest)
                   or check_chain(folder, manifest["chain"]))
    except (OSError, ValueError, KeyError, TypeError) as error:
        failure = f"unreadable bundle: {type(error).__name__}: {error}"
    if failure:
        print(f"{folder}: BROKEN: {failure}")
        return 1
    print(f"{folder}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

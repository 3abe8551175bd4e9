#!/usr/bin/env python3
"""Verify a Striatum corpus bundle with the Python standard library alone.

usage: verify_corpus.py BUNDLE_DIR     (exit 0: it holds; exit 1: the first failure is printed)

The recipe (docs/SPEC.md §11):
1. manifest.json: `bundle_hash` is the SHA-256 of the manifest without `bundle_hash`, serialized
   with sorted keys, no whitespace, non-ASCII as \\uXXXX escapes.
2. Every file named in manifest "files" has that SHA-256, and SHA256SUMS (format of
   `sha256sum`) lists the same digest for it and for manifest.json.
3. Each `<name>.jsonl` has as many lines as manifest "counts"[name] says.
4. events.jsonl (split on "\n" only) is one stretch of a hash chain: each line's seq follows
   the previous one and its previous_hash is the previous line's row_hash (the first:
   chain.first_seq/first_previous_hash, 1 and 64 zeros for a repository bundle); the last
   ends at chain.last_seq/head_hash. Line shapes: SPEC §11. "canonical" hashes to row_hash;
   an unredacted v2 "payload" hashes (RFC 8785) to the record's payload_sha256; every record
   carries the line's seq, previous_hash and the chain's repo_id.
"""

from __future__ import annotations

import hashlib
import json
import sys
from decimal import Decimal
from pathlib import Path

TABLES = {"runs", "jobs", "attempts", "sessions", "leases", "verdicts", "blockers",
          "artifacts", "events"}
OPTIONAL = {"contents", "scratch"}
V2_SHAPES = [{"canonical", "payload"}, {"canonical", "payload", "redacted"}, {"canonical", "omitted"}]
V1_SHAPES = [{"canonical"}, {"record", "redacted"}, {"omitted"}]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def jcs(v: object) -> str:  # RFC 8785: sorted UTF-16 keys, no spaces, ECMAScript numbers
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + jcs(v[k]) for k in keys) + "}"
    if isinstance(v, list):
        return "[" + ",".join(map(jcs, v)) + "]"
    if v is None or isinstance(v, (bool, str)) or (isinstance(v, int) and abs(v) < 2**53):
        return json.dumps(v, ensure_ascii=False)
    x = float(v)  # 0.0 and -0.0 come out as "0" below
    _, t, e = Decimal(repr(abs(x))).normalize().as_tuple()
    d, n = "".join(map(str, t)), len(t) + e
    if len(d) <= n <= 21:
        s = d + "0" * (n - len(d))
    elif 0 < n <= 21:
        s = d[:n] + "." + d[n:]
    elif -6 < n <= 0:
        s = "0." + "0" * -n + d
    else:
        s = d[0] + ("." + d[1:] if len(d) > 1 else "") + f"e{'+' if n > 0 else '-'}{abs(n - 1)}"
    return ("-" if x < 0 else "") + s


def lines_of(path: Path) -> list[str]:
    return path.read_bytes().decode("utf-8").split("\n")[:-1]  # only \n ends a line


def check_manifest(m: dict) -> str | None:
    if m.get("format") not in ("striatum.corpus.v1", "striatum.corpus.v2"):
        return "manifest.json: unknown format"
    body = {k: v for k, v in m.items() if k != "bundle_hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    if sha256(text.encode()) != m.get("bundle_hash"):
        return "manifest.json: bundle_hash does not match"
    stems = set(m["counts"])
    if not stems >= TABLES or not stems <= TABLES | OPTIONAL:
        return "manifest.json: counts do not name exactly the bundle's tables"
    if set(m["files"]) != {f"{stem}.jsonl" for stem in stems}:
        return "manifest.json: files do not name exactly the bundle's tables"
    return None


def check_files(folder: Path, m: dict) -> str | None:
    sums: dict[str, str] = {}
    for line in lines_of(folder / "SHA256SUMS"):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or name in sums:
            return f"SHA256SUMS: malformed or repeated line {line[:80]!r}"
        sums[name] = digest
    if set(sums) != {*m["files"], "manifest.json"}:
        return "SHA256SUMS: does not name exactly the bundle's files"
    for name in sorted(sums):
        digest = sha256((folder / name).read_bytes())
        if name in m["files"] and digest != m["files"][name]:
            return f"{name}: SHA-256 differs from the manifest"
        if sums[name] != digest:
            return f"{name}: SHA-256 differs from SHA256SUMS"
    for name, count in m["counts"].items():
        if len(lines_of(folder / f"{name}.jsonl")) != count:
            return f"{name}.jsonl: line count differs from the manifest"
    return None


def check_chain(folder: Path, m: dict) -> str | None:
    chain, kind = m["chain"], m["scope"]["kind"]
    running, expected = chain["first_previous_hash"], chain["first_seq"]
    if kind == "repo" and (expected != 1 or running != "0" * 64):
        return "events.jsonl: a repository bundle must start at the chain's genesis"
    lines = lines_of(folder / "events.jsonl")
    for number, line in enumerate(lines, 1):
        row = json.loads(line)
        where = f"events.jsonl line {number} (seq {row.get('seq')})"
        if row["seq"] != expected or row["previous_hash"] != running:
            return f"{where}: does not follow the previous row"
        if "omitted" in row and (kind == "repo" or number in (1, len(lines))):
            return f"{where}: an omitted line may only stand inside a run's stretch"
        shape = {k for k in ("canonical", "record", "redacted", "omitted", "payload") if k in row}
        text = row.get("canonical")
        if shape not in (V2_SHAPES if str(text).endswith(',"v":2}') else V1_SHAPES):
            return f"{where}: holds neither a whole, a redacted nor an omitted row"
        record = json.loads(text) if text is not None else row.get("record")
        if text is not None and sha256(text.encode()) != row["row_hash"]:
            return f"{where}: row_hash is not the SHA-256 of its canonical record"
        if "payload" in row and "redacted" not in row and (
                not isinstance(row["payload"], dict)
                or sha256(jcs(row["payload"]).encode()) != record.get("payload_sha256")):
            return f"{where}: payload does not match the payload_sha256 of its canonical record"
        if record is not None and (not isinstance(record, dict)
                                   or record.get("previous_hash") != running
                                   or record.get("seq") != row["seq"]
                                   or record.get("repo_id") != chain["repo_id"]):
            return f"{where}: the record does not match its line"
        running, expected = row["row_hash"], row["seq"] + 1
    if running != chain["head_hash"] or expected - 1 != chain["last_seq"]:
        return "events.jsonl: the chain does not end at the head the manifest covers"
    return None


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: verify_corpus.py BUNDLE_DIR", file=sys.stderr)
        return 2
    folder = Path(sys.argv[1])
    try:
        m = json.loads((folder / "manifest.json").read_text("utf-8"))
        failure = (check_manifest(m) or check_files(folder, m) or check_chain(folder, m))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        failure = f"unreadable bundle: {type(error).__name__}: {error}"
    if failure:
        print(f"{folder}: BROKEN: {failure}")
        return 1
    print(f"{folder}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

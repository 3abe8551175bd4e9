"""The anchors file: chain heads recorded outside the database, as a hash chain of JSON lines.

`<home>/anchors.jsonl` only ever grows. Each line is one RFC 8785 object naming the database
it anchors (its label as this home reaches it, its instance id and the cluster's system
identifier) and the heads of the chains that advanced, plus `previous` (the `hash` of the line
before, 64 zeros for the first) and `hash` (SHA-256 of the line's RFC 8785 form without
`hash`). A line of kind `accept` is a principal's explicit replacement: it resets what is
anchored for its database. A file that does not parse or link is an integrity failure naming
the line; nothing here ever rewrites or drops a line.

Appends are whole-or-nothing: one `write` of the full line under an exclusive `flock`, then
`fsync`; a short write is cut back to the old length.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from striatum import errors
from striatum.model.canonical import canonical_bytes
from striatum.model.chain import Head

FORMAT = 1
ZERO = "0" * 64
KINDS = ("anchor", "accept")
_KEYS = frozenset(
    {
        "v",
        "line",
        "previous",
        "at",
        "kind",
        "by",
        "reason",
        "database",
        "instance_id",
        "system_identifier",
        "heads",
        "refs",
        "hash",
    }
)
REPAIR_HINT = (
    "if the change is legitimate (a database restored or moved), a principal accepts the "
    "current heads: striatum --as principal daemon accept-anchors --reason TEXT"
)


@dataclass(frozen=True, kw_only=True)
class Identity:
    """A database as one home sees it: what a superuser inside it cannot make match again."""

    database: str  # the label this home reaches it by (URL without password, or the cluster)
    instance_id: str  # striatumd.instance: changes when the schema is dropped and recreated
    system_identifier: str  # the cluster's, from its control file: changes with the server


@dataclass(frozen=True, kw_only=True)
class Line:
    number: int
    previous: str
    hash: str
    kind: str
    by: str
    at: str
    reason: str | None
    identity: Identity
    heads: dict[str, Head]
    refs: dict[str, str]


@dataclass(kw_only=True)
class Anchored:
    """What is anchored for one database: its identity and each chain's highest head."""

    identity: Identity
    heads: dict[str, Head] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # chain -> commit of its anchor ref
    since_line: int = 0  # the line that set the identity (its first anchor or an accept)


@dataclass(frozen=True, kw_only=True)
class Ledger:
    """Where the verified file ends and what it anchors for each database. Not its lines: a
    daemon keeps one for its whole life while the file only grows (`read_lines` has them)."""

    count: int = 0
    last_hash: str = ZERO
    size: int = 0
    inode: int = 0  # a file replaced since it was read is read again whole
    tail: bytes = b""  # the last line's bytes: still there, or the file is not the one read
    states: Mapping[str, Anchored] = field(default_factory=dict)

    def anchored(self, database: str) -> Anchored | None:
        return self.states.get(database)

    def extended(self, lines: list[Line], path: Path, **where: Any) -> Ledger:
        """This ledger with `lines` (verified, next in the file) added; `where` gives the
        file's new size, inode and tail."""
        return Ledger(
            count=self.count + len(lines),
            last_hash=lines[-1].hash if lines else self.last_hash,
            states=fold_into(self.states, lines, path),
            **{"size": self.size, "inode": self.inode, "tail": self.tail, **where},
        )


def broken(path: Path, number: int, reason: str) -> errors.IntegrityFailure:
    return errors.IntegrityFailure(
        f"{path}: line {number}: {reason}",
        hint=f"the anchors file is never repaired silently; {REPAIR_HINT}",
        file=str(path),
        line=number,
    )


def parse(data: bytes, path: Path) -> list[Line]:
    """Every line of the file, verified: canonical form, hash, numbering and links."""
    return _verify(data, path, first=1, previous=ZERO)


def _verify(data: bytes, path: Path, *, first: int, previous: str) -> list[Line]:
    """Lines numbered from `first`, the first of them linking to `previous`."""
    if not data:
        return []
    parts = data.split(b"\n")
    if parts[-1] != b"":
        number = first + len(parts) - 1
        raise broken(path, number, "the last line is incomplete (no newline): a torn write")
    lines: list[Line] = []
    for number, raw in enumerate(parts[:-1], start=first):
        line = _parse_line(raw, number, path)
        if line.previous != previous:
            raise broken(path, number, "does not link to the line before it")
        lines.append(line)
        previous = line.hash
    return lines


def _parse_line(raw: bytes, number: int, path: Path) -> Line:
    try:
        document = json.loads(raw)
    except ValueError:
        raise broken(path, number, "is not JSON") from None
    if not isinstance(document, dict) or set(document) != _KEYS:
        raise broken(path, number, f"is not an anchor line (keys must be {sorted(_KEYS)})")
    try:
        if canonical_bytes(document) != raw:
            raise broken(path, number, "is not in RFC 8785 form (edited by hand?)")
    except (TypeError, ValueError):
        raise broken(path, number, "holds a value RFC 8785 cannot encode") from None
    claimed = document.pop("hash")
    if hashlib.sha256(canonical_bytes(document)).hexdigest() != claimed:
        raise broken(path, number, "its hash does not match its content")
    if document["v"] != FORMAT or document["line"] != number or document["kind"] not in KINDS:
        raise broken(path, number, "has a wrong format version, line number or kind")
    try:
        return Line(
            number=number,
            previous=str(document["previous"]),
            hash=str(claimed),
            kind=document["kind"],
            by=str(document["by"]),
            at=str(document["at"]),
            reason=document["reason"],
            identity=Identity(
                database=str(document["database"]),
                instance_id=str(document["instance_id"]),
                system_identifier=str(document["system_identifier"]),
            ),
            heads={
                str(name): Head(seq=int(h["seq"]), row_hash=str(h["row_hash"]))
                for name, h in document["heads"].items()
            },
            refs={str(name): str(sha) for name, sha in document["refs"].items()},
        )
    except (AttributeError, KeyError, TypeError, ValueError):
        raise broken(path, number, "has a malformed heads or refs entry") from None


def fold_into(states: Mapping[str, Anchored], lines: list[Line], path: Path) -> dict[str, Anchored]:
    """What each database has anchored after `lines` (`states` is left as it was). The first
    line for a database, or an `accept`, sets its identity and starts afresh; an `anchor`
    line keeps the identity and never lowers a head; two hashes for one position, or another
    identity without an accept, make the file an integrity failure at that line."""
    folded = dict(states)
    for line in lines:
        database = line.identity.database
        state = folded.get(database)
        if state is None or line.kind == "accept":
            state = Anchored(identity=line.identity, since_line=line.number)
        elif line.identity != state.identity:
            raise broken(
                path, line.number, f"names another identity for {database} without an accept"
            )
        else:
            state = replace(state, heads=dict(state.heads), refs=dict(state.refs))
        for name, head in line.heads.items():
            known = state.heads.get(name)
            if known is not None and known.seq == head.seq and known.row_hash != head.row_hash:
                raise broken(
                    path,
                    line.number,
                    f"anchors {name} seq {head.seq} with another hash than an earlier line",
                )
            if known is None or head.seq > known.seq:
                state.heads[name] = head
        state.refs.update(line.refs)
        folded[database] = state
    return folded


def read_lines(path: Path) -> list[Line]:
    """Every line, verified (for showing; `read` keeps only what a check needs)."""
    found = _read_whole(path)
    return [] if found is None else parse(found[0], path)


def read(path: Path) -> Ledger:
    """The whole file, verified (an absent file is an empty ledger)."""
    found = _read_whole(path)
    if found is None:
        return Ledger()
    data, inode = found
    return Ledger().extended(
        parse(data, path), path, size=len(data), inode=inode, tail=_last_line(data)
    )


def _read_whole(path: Path) -> tuple[bytes, int] | None:
    """(bytes, inode), read under a shared lock: a writer's line is either all there or not
    yet (a read racing a write could otherwise see half of it: a false torn line)."""
    try:
        with path.open("rb") as file:
            fcntl.flock(file.fileno(), fcntl.LOCK_SH)
            return file.read(), os.fstat(file.fileno()).st_ino
    except FileNotFoundError:
        return None
    except OSError as error:
        raise errors.StorageError(f"cannot read {path}: {error.strerror}") from None


def append(
    path: Path,
    *,
    kind: str,
    by: str,
    at: str,
    identity: Identity,
    heads: Mapping[str, Head],
    refs: Mapping[str, str] | None = None,
    reason: str | None = None,
    expect: Ledger | None = None,
) -> tuple[Ledger, Line]:
    """Append one line under the file lock; the ledger after it, and the line.

    `expect` is what the caller read before: when the file has only grown since, only the new
    bytes are verified (the daemon appends often; `doctor` re-reads the whole file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        ledger = _current(fd, path, expect)
        document: dict[str, Any] = {
            "v": FORMAT,
            "line": ledger.count + 1,
            "previous": ledger.last_hash,
            "at": at,
            "kind": kind,
            "by": by,
            "reason": reason,
            "database": identity.database,
            "instance_id": identity.instance_id,
            "system_identifier": identity.system_identifier,
            "heads": {n: {"seq": h.seq, "row_hash": h.row_hash} for n, h in sorted(heads.items())},
            "refs": dict(sorted((refs or {}).items())),
        }
        document["hash"] = hashlib.sha256(canonical_bytes(document)).hexdigest()
        data = canonical_bytes(document) + b"\n"
        _write_whole(fd, path, data, ledger.size)
        line = _parse_line(data[:-1], document["line"], path)
        return ledger.extended([line], path, size=ledger.size + len(data), tail=data), line
    finally:
        os.close(fd)  # releases the lock


def set_aside(path: Path, suffix: str) -> Path | None:
    """Move a file that cannot be trusted out of the way (only for a principal's accept)."""
    if not path.exists():
        return None
    kept = path.with_name(f"{path.name}.replaced-{suffix}")
    os.replace(path, kept)
    return kept


def _current(fd: int, path: Path, expect: Ledger | None) -> Ledger:
    stat = os.fstat(fd)
    size = stat.st_size
    if expect is not None and expect.count and not _still_holds(fd, expect, stat):
        # Lines this writer saw are gone: never append as if nothing happened (the caller
        # reads the file again, whole, and reports what it finds).
        raise broken(
            path,
            expect.count,
            f"the file was replaced or cut short since it was read ({expect.count} lines)",
        )
    if expect is not None and expect.inode == stat.st_ino and expect.size <= size:
        added = _pread_all(fd, expect.size, size)
        fresh = _verify(added, path, first=expect.count + 1, previous=expect.last_hash)
        return expect.extended(fresh, path, size=size, tail=_last_line(added) or expect.tail)
    data = _pread_all(fd, 0, size)
    return Ledger().extended(
        parse(data, path), path, size=len(data), inode=stat.st_ino, tail=_last_line(data)
    )


def _still_holds(fd: int, expect: Ledger, stat: os.stat_result) -> bool:
    """Whether the file still ends, at the size read, with the last line read (an inode
    number alone is reused by a file created anew)."""
    if expect.inode != stat.st_ino or stat.st_size < expect.size:
        return False
    start = expect.size - len(expect.tail)
    return os.pread(fd, len(expect.tail), start) == expect.tail


def _pread_all(fd: int, start: int, end: int) -> bytes:
    return os.pread(fd, end - start, start) if end > start else b""


def _last_line(data: bytes) -> bytes:
    return data[data.rfind(b"\n", 0, len(data) - 1) + 1 :] if data else b""


def _write_whole(fd: int, path: Path, data: bytes, old_size: int) -> None:
    try:
        written = os.write(fd, data)
        if written != len(data):
            raise OSError(errno.ENOSPC, "short write")
        os.fsync(fd)
    except OSError as error:
        os.ftruncate(fd, old_size)  # whole or nothing: never leave half a line
        raise errors.StorageError(
            f"cannot append to {path}: {error.strerror or error}",
            hint="free some space or fix the permissions; nothing was anchored",
        ) from None

"""Chain heads kept outside the database, so that a superuser's rewrite shows.

A chain inside the database cannot reveal a superuser who rewrites its tail together with
its head, deletes it, or drops the whole schema and starts again. What this home anchored
(`anchor_file`) is keyed by what that superuser cannot change: the database as this home
reaches it, and the cluster's system identifier. A check reports a break when the instance
id or the system identifier changed, when an anchored chain is gone, or when the row at an
anchored position is missing (a truncated tail) or differs (a rewritten one).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path

from striatum import errors, paths
from striatum.integrity import anchor_file
from striatum.integrity.anchor_file import Anchored, Identity, Ledger
from striatum.model.chain import ChainBreak, Head
from striatum.store import chains, privileges
from striatum.store import connection as db

FILE_CHAIN = "anchors file"  # what a break in the file itself is reported under
DATABASE_CHAIN = "database"  # ... and a changed database identity


def identity(conn: db.Conn, database: str) -> Identity:
    instance_id, system_identifier = privileges.database_identity(conn)
    return Identity(
        database=database,
        instance_id=instance_id or "missing",
        system_identifier=system_identifier,
    )


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def load(ident: Identity, path: Path | None = None) -> tuple[Ledger, Anchored | None]:
    """The verified ledger and what it anchors for this database (raises IntegrityFailure).

    A home that has only the old `anchors.json` (heads keyed by instance id) starts from it."""
    ledger = anchor_file.read(path or paths.anchors_file())
    return ledger, anchored_in(ledger, ident)


def anchored_in(ledger: Ledger, ident: Identity) -> Anchored | None:
    anchored = ledger.anchored(ident.database)
    if anchored is None and not ledger.count:
        heads = legacy_heads(paths.legacy_anchors_file(), ident.instance_id)
        if heads:  # since_line 0: not in the new file yet
            anchored = Anchored(identity=ident, heads=heads)
    return anchored


def legacy_heads(path: Path, instance_id: str) -> dict[str, Head]:
    """Heads an older Striatum recorded in `anchors.json` for this instance id."""
    try:
        document = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        raise errors.IntegrityFailure(
            f"{path}: not a readable anchors document", hint=anchor_file.REPAIR_HINT
        ) from None
    try:
        heads = document.get("instances", {}).get(instance_id, {})
        return {n: Head(seq=int(h["seq"]), row_hash=str(h["row_hash"])) for n, h in heads.items()}
    except (AttributeError, KeyError, TypeError, ValueError):
        raise errors.IntegrityFailure(
            f'{path}: not an anchors document (expected {{"instances": {{id: heads}}}})',
            hint=anchor_file.REPAIR_HINT,
        ) from None


def check(conn: db.Conn, ident: Identity, path: Path | None = None) -> list[ChainBreak]:
    """Every way the database disagrees with what this home anchored for it."""
    try:
        _, anchored = load(ident, path)
    except errors.IntegrityFailure as error:
        return [file_break(error)]
    return [] if anchored is None else breaks(conn, ident, anchored)


def file_break(error: errors.StriatumError) -> ChainBreak:
    return ChainBreak(chain=FILE_CHAIN, seq=int(error.details.get("line", 0)), reason=error.message)


def breaks(conn: db.Conn, ident: Identity, anchored: Anchored) -> list[ChainBreak]:
    found = identity_breaks(ident, anchored)
    for name, anchor in sorted(anchored.heads.items()):
        problem = position_break(conn, name, anchor)
        if problem is not None:
            found.append(problem)
    return found


def identity_breaks(ident: Identity, anchored: Anchored) -> list[ChainBreak]:
    found = []
    was = anchored.identity
    for label, before, after in (
        ("instance id", was.instance_id, ident.instance_id),
        ("system identifier", was.system_identifier, ident.system_identifier),
    ):
        if before != after:
            found.append(
                ChainBreak(
                    chain=DATABASE_CHAIN,
                    seq=0,
                    reason=f"the database's {label} changed since it was anchored (schema "
                    "recreated, instance row forged, or another server)",
                    expected=before,
                    stored=after,
                )
            )
    return found


def position_break(conn: db.Conn, name: str, anchor: Head) -> ChainBreak | None:
    """The row at an anchored position must still be there with the anchored hash."""
    stored = chains.stored_hash_at(conn, name, anchor.seq)
    if stored == anchor.row_hash:
        return None
    if stored is not None:
        reason = "row differs from the head anchored outside the database (rewritten)"
    else:
        head = chains.read_head(conn, name)
        if head is None or head.seq == 0:
            reason = "anchored chain is missing from the database"
        else:
            reason = f"anchored row is missing: the chain now ends at seq {head.seq} (truncated)"
    return ChainBreak(
        chain=name,
        seq=anchor.seq,
        reason=reason,
        expected=anchor.row_hash,
        stored=stored or "missing",
    )


def advanced(anchored: Anchored | None, heads: Mapping[str, Head]) -> dict[str, Head]:
    """The heads that are past what is anchored (all of them when nothing is)."""
    known = {} if anchored is None else anchored.heads
    return {
        name: head
        for name, head in heads.items()
        if head.seq > 0 and (name not in known or head.seq > known[name].seq)
    }


def record(
    ident: Identity,
    heads: Mapping[str, Head],
    *,
    by: str,
    refs: Mapping[str, str] | None = None,
    path: Path | None = None,
    expect: Ledger | None = None,
) -> Ledger | None:
    """Anchor the heads that advanced; the ledger after, or None when nothing advanced.

    The caller has verified them: every chain holds, and links to what was anchored."""
    path = path or paths.anchors_file()
    ledger = expect if expect is not None else anchor_file.read(path)
    anchored = anchored_in(ledger, ident)
    if anchored is not None and identity_breaks(ident, anchored):
        raise errors.IntegrityFailure(
            f"the database's identity changed since {path} anchored it; nothing was anchored",
            hint=anchor_file.REPAIR_HINT,
        )
    fresh = advanced(anchored, heads)
    if anchored is not None and anchored.since_line == 0:  # the old anchors.json, carried over
        fresh = {**anchored.heads, **fresh}
    if not fresh and not refs:
        return None
    after, _ = anchor_file.append(
        path,
        kind="anchor",
        by=by,
        at=now(),
        identity=ident,
        heads=fresh,
        refs=refs,
        expect=ledger,
    )
    return after


def accept(
    ident: Identity,
    heads: Mapping[str, Head],
    *,
    by: str,
    reason: str,
    refs: Mapping[str, str] | None = None,
    path: Path | None = None,
) -> dict[str, str | int | None]:
    """A principal's replacement of what is anchored for this database by its current heads.

    A file that no longer verifies is set aside (never deleted) and a new one begun."""
    path = path or paths.anchors_file()
    set_aside = None
    try:
        anchor_file.read(path)
    except errors.IntegrityFailure:
        kept = anchor_file.set_aside(path, now().replace(":", ""))
        set_aside = None if kept is None else str(kept)
    _, line = anchor_file.append(
        path,
        kind="accept",
        by=by,
        at=now(),
        identity=ident,
        heads={name: head for name, head in heads.items() if head.seq > 0},
        refs=refs,
        reason=reason,
    )
    return {"file": str(path), "line": line.number, "set_aside": set_aside}

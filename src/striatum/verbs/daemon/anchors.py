"""daemon.accept-anchors: a principal replaces what this home anchored by the current heads.

The chains must hold on their own (links, hashes, heads): accepting makes a changed database
the anchored one, never a broken chain whole. Each reachable repository's anchor ref starts
again from its accepted head. The files are written after the commit, so the audit row of
this request exists whenever the accept line does.
"""

from __future__ import annotations

from typing import Any

from striatum import errors, paths
from striatum.engine.context import Context
from striatum.integrity import anchors, chain_check, doctor, repo_anchors


def accept(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    reports = [
        chain_check.verify_chain_serially(ctx.conn, name, deep=False)
        for name in doctor.chain_names(ctx.conn)
    ]
    broken = [report.first_break for report in reports if report.first_break is not None]
    if broken:
        first = broken[0]
        raise errors.IntegrityFailure(
            f"{first.chain} does not hold at seq {first.seq} ({first.reason}); a broken chain "
            "cannot be accepted",
            hint="striatum daemon doctor names every break",
            chains=[b.chain for b in broken],
        )
    ident = anchors.identity(ctx.conn, ctx.daemon.database)
    replaced = anchors.check(ctx.conn, ident)
    heads = {r.chain: r.head for r in reports if r.head is not None}
    by, reason = f"principal {ctx.actor}", str(params["reason"])
    where = repo_anchors.reachable(ctx.conn)

    def write() -> None:
        refs = repo_anchors.restart(where, heads)
        anchors.accept(ident, heads, by=by, reason=reason, refs=refs)

    ctx.after_commit(write)
    return {
        "file": str(paths.anchors_file()),
        "accepted": {name: {"seq": h.seq, "row_hash": h.row_hash} for name, h in heads.items()},
        "replaced_breaks": [{"chain": b.chain, "seq": b.seq, "reason": b.reason} for b in replaced],
        "instance_id": ident.instance_id,
        "system_identifier": ident.system_identifier,
    }

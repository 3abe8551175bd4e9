"""daemon.verify: the daemon checks its own substrate and both chains, for any reader.

The same checks as `striatum daemon doctor`, run inside one request on the daemon's connection
(sequentially, read-only: anchors are compared here; the daemon writes them on its own), so
`striatum doctor` and the web UI can report provenance without reaching the database.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from striatum import errors
from striatum.engine.context import Context
from striatum.integrity import anchors, chain_check, doctor
from striatum.store import ledger, migrations, privileges


def verify(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    deep = bool(params.get("deep"))
    pending, refusal = _migrations(ctx)
    reports = [
        chain_check.verify_chain_serially(ctx.conn, name, deep=deep)
        for name in doctor.chain_names(ctx.conn)
    ]
    breaks = doctor.anchor_breaks(ctx.conn, anchors.identity(ctx.conn, ctx.daemon.database))
    problems = privileges.problems(ctx.conn)
    ledger_problems = ledger.problems(ctx.conn)
    return {
        "ok": not pending
        and refusal is None
        and not problems
        and not ledger_problems
        and not breaks
        and all(report.ok for report in reports),
        "deep": deep,
        "migrations": {
            "pending": pending,
            "error": None if refusal is None else refusal.message,
            "refusal": None if refusal is None else refusal.to_dict(),  # with hint and details
        },
        "privilege_problems": problems,
        "ledger_problems": ledger_problems,
        "chains": [doctor.chain_dict(report) for report in reports],
        "anchor_breaks": [asdict(b) for b in breaks],
    }


def _migrations(ctx: Context) -> tuple[list[str], errors.StriatumError | None]:
    try:
        return migrations.pending_on(ctx.conn), None
    except errors.StriatumError as error:  # an edited or unknown applied migration
        return [], error

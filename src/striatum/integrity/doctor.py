"""`striatum daemon doctor`: is the substrate sound?

Checks, in order: the server is reachable and new enough, migrations are applied and unedited,
the runtime role cannot change append-only rows and the guards are enabled, usage rows, spends
and budgets agree with the events that record them, and every row of both chains recomputes
and links (a deep check also compares the columns with the hashed bytes),
and heads anchored outside the database still match.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any

from striatum import errors
from striatum.integrity import anchors, chain_check, repo_anchors
from striatum.integrity.anchor_file import Identity
from striatum.model import chain
from striatum.store import chains, ledger, migrations, privileges
from striatum.store import connection as db


@dataclass(kw_only=True)
class DoctorReport:
    database: str
    server_version: str = ""
    migrations_applied: list[str] = field(default_factory=list)
    migrations_pending: list[str] = field(default_factory=list)
    privilege_problems: list[str] = field(default_factory=list)
    ledger_problems: list[str] = field(default_factory=list)  # spends unlike the chain's
    chains: list[chain.ChainReport] = field(default_factory=list)
    anchor_breaks: list[chain.ChainBreak] = field(default_factory=list)
    error: errors.StriatumError | None = None
    checked_by: str = "direct"  # or "daemon pid N": who ran the checks

    @property
    def ok(self) -> bool:
        return (
            self.error is None
            and not self.migrations_pending
            and not self.privilege_problems
            and not self.ledger_problems
            and not self.anchor_breaks
            and all(report.ok for report in self.chains)
        )

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return self.error.exit_code
        if self.migrations_pending:
            return errors.EXIT_CODES["migration"]
        return 0 if self.ok else errors.EXIT_CODES["integrity"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked_by": self.checked_by,
            "database": self.database,
            "server_version": self.server_version,
            "migrations": {
                "applied_now": self.migrations_applied,
                "pending": self.migrations_pending,
            },
            "privilege_problems": self.privilege_problems,
            "ledger_problems": self.ledger_problems,
            "chains": [chain_dict(report) for report in self.chains],
            "anchor_breaks": [asdict(b) for b in self.anchor_breaks],
            "error": None if self.error is None else self.error.to_dict(),
        }


def chain_dict(report: chain.ChainReport) -> dict[str, Any]:
    return {
        "chain": report.chain,
        "ok": report.ok,
        "rows": report.rows,
        "head": None if report.head is None else asdict(report.head),
        "first_break": None if report.first_break is None else asdict(report.first_break),
    }


def run(database: db.Database, *, apply_migrations: bool, deep: bool = True) -> DoctorReport:
    """Run every check; errors become part of the report, never tracebacks."""
    report = DoctorReport(database=database.label)
    try:
        _check_migrations(database, report, apply_migrations)
        if report.migrations_pending:
            return report
        conn = db.connect_admin(database, autocommit=True)
        try:
            report.privilege_problems = privileges.problems(conn)
            report.ledger_problems = ledger.problems(conn)
            _verify_chains(database, conn, report, deep)
        finally:
            conn.close()
    except errors.StriatumError as error:
        report.error = error
    return report


def _check_migrations(database: db.Database, report: DoctorReport, apply: bool) -> None:
    if apply:
        result = migrations.migrate(database)
        report.server_version, report.migrations_applied = result.server_version, result.applied
        return
    report.server_version, report.migrations_pending = migrations.pending(database)


def _verify_chains(database: db.Database, conn: db.Conn, report: DoctorReport, deep: bool) -> None:
    for name in chain_names(conn):
        report.chains.append(chain_check.verify_chain(database, conn, name, deep=deep))
    _check_anchors(conn, report)


def chain_names(conn: db.Conn) -> list[str]:
    """The audit chain first, then every repository's event chain."""
    return [chains.AUDIT_CHAIN] + [chains.event_chain(r) for r in chains.event_chains(conn)]


def anchor_breaks(conn: db.Conn, ident: Identity) -> list[chain.ChainBreak]:
    """The chains against every copy kept outside the database that this host can read: the
    home's anchors file, and each repository's anchor ref and provenance trailers."""
    return anchors.check(conn, ident) + repo_anchors.check(conn, ident)


def _check_anchors(conn: db.Conn, report: DoctorReport) -> None:
    """Compare with the anchors; when everything holds, anchor what was verified."""
    ident = anchors.identity(conn, report.database)
    report.anchor_breaks = anchor_breaks(conn, ident)
    if not report.ok:
        return
    heads = {r.chain: r.head for r in report.chains if r.head is not None}
    try:
        anchors.record(ident, heads, by=f"doctor pid {os.getpid()}")
    except errors.IntegrityFailure as error:  # the file changed under us since the check
        report.anchor_breaks.append(anchors.file_break(error))


def from_daemon(status: dict[str, Any], verified: dict[str, Any]) -> DoctorReport:
    """A report from a daemon's `daemon.status` and `daemon.verify` answers."""
    report = DoctorReport(
        database=str(status["database"]),
        server_version=str(status["server_version"]),
        checked_by=f"daemon pid {status['pid']}",
    )
    found = verified["migrations"]
    if found.get("error") is not None:  # the same error, hint and details as the direct check's
        # (a daemon older than `refusal` sends the message alone)
        refusal = found.get("refusal") or {"code": "migration", "message": found["error"]}
        report.error = errors.from_dict(refusal)
        return report
    report.migrations_pending = list(verified["migrations"]["pending"])
    report.privilege_problems = list(verified["privilege_problems"])
    report.ledger_problems = list(verified.get("ledger_problems") or [])
    report.chains = [_chain_report(c) for c in verified["chains"]]
    report.anchor_breaks = [chain.ChainBreak(**b) for b in verified["anchor_breaks"]]
    return report


def _chain_report(found: dict[str, Any]) -> chain.ChainReport:
    head, first_break = found["head"], found["first_break"]
    return chain.ChainReport(
        chain=found["chain"],
        rows=found["rows"],
        head=None if head is None else chain.Head(**head),
        first_break=None if first_break is None else chain.ChainBreak(**first_break),
    )

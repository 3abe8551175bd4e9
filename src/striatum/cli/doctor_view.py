"""Rendering a doctor report for people and for `--json`."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap

import click

from striatum.cli import terminal
from striatum.integrity.anchor_file import REPAIR_HINT
from striatum.integrity.doctor import DoctorReport
from striatum.model.chain import ChainReport
from striatum.model.terminal_text import visible

# Verdict words painted where colour is wanted: (the word as written, its style).
VERDICTS = (
    ("doctor: OK", "green bold"),
    ("doctor: FAILED", "red bold"),
    ("doctor: PROBLEMS FOUND", "red bold"),
    ("BROKEN", "red bold"),
    ("PROBLEM", "red bold"),
    ("BAD", "red bold"),
    (": ok", "green"),
    ("ok ", "green"),
)


def show(report: DoctorReport, *, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, sort_keys=True))
        return
    echo(lines(report))


def echo(report_lines: list[str]) -> None:
    """Each line escaped, fitted to the terminal (its continuation indented under it) and its
    verdict word coloured where colour is wanted (striatum.cli.terminal)."""
    from striatum.cli import layout, terminal

    screen = terminal.screen()
    for line in report_lines:
        text = visible(line)
        lead = text[: len(text) - len(text.lstrip())]
        for part in layout.wrap(text.lstrip(), screen.width, indent=lead + "    ", first=lead):
            # not click.echo: it strips colour when not on a terminal, even when forced
            sys.stdout.write(_painted(part, screen) + "\n")


def _painted(line: str, screen: terminal.Screen) -> str:
    for word, style in VERDICTS:
        at = line.find(word)
        if at >= 0 and (word != "ok " or not line[:at].strip()):  # `ok ` only as a mark
            return line[:at] + screen.paint(word, style) + line[at + len(word) :]
    return line


def lines(report: DoctorReport) -> list[str]:
    verdict = "OK" if report.ok else "FAILED"
    where = f"{report.database}, PostgreSQL {report.server_version or '?'}"
    out = [f"doctor: {verdict}  ({where})", f"  checked by: {_by(report)}"]
    if report.error is not None:
        out.append(f"  error: {report.error.message}")
        if report.error.hint:
            out.append(f"  hint: {report.error.hint}")
        return out
    if report.migrations_pending:
        out.append(
            f"  migrations: pending {', '.join(report.migrations_pending)} "
            "(run: striatum daemon doctor --apply-migrations)"
        )
        return out
    applied = ", ".join(report.migrations_applied) or "nothing new"
    out.append(f"  migrations: up to date (applied now: {applied})")
    out += [f"  privileges: PROBLEM: {p}" for p in report.privilege_problems] or [
        "  privileges: runtime role is append-only on events, artifacts, audit_log"
    ]
    for problem in report.ledger_problems:
        out += _wrapped(f"spend ledger: PROBLEM: {problem}", 2)
    for chain_report in report.chains:
        out.append(_chain_line(chain_report))
    for anchor in report.anchor_breaks:
        where = f"anchor {anchor.chain}" + (f" seq {anchor.seq}" if anchor.seq else "")
        out += _wrapped(f"{where}: BROKEN: {anchor.reason}", 2)
        if anchor.expected is not None:
            out += _wrapped(f"anchored {_short(anchor.expected)}, now {_short(anchor.stored)}", 4)
    if report.anchor_breaks:
        out += _wrapped(f"hint: {REPAIR_HINT}", 2)
    return out


def _wrapped(text: str, indent: int) -> list[str]:
    """One logical line fitted to the terminal, continuation lines indented under it."""
    width = max(60, shutil.get_terminal_size((80, 24)).columns)
    return textwrap.wrap(
        text,
        width,
        initial_indent=" " * indent,
        subsequent_indent=" " * (indent + 2),
        break_on_hyphens=False,
    )


def _short(value: str | None) -> str:
    """A chain hash to its first 16 digits (enough to compare by eye); other values whole."""
    if value is not None and len(value) == 64 and all(c in "0123456789abcdef" for c in value):
        return value[:16]
    return str(value)


def _chain_line(chain_report: ChainReport) -> str:
    if chain_report.ok:
        head = chain_report.head.row_hash[:16] if chain_report.head else "-"
        return f"  chain {chain_report.chain}: ok, {chain_report.rows} rows, head {head}"
    bad = chain_report.first_break
    assert bad is not None
    detail = f" (expected {bad.expected}, stored {bad.stored})" if bad.expected else ""
    return f"  chain {chain_report.chain}: BROKEN at seq {bad.seq}: {bad.reason}{detail}"


def _by(report: DoctorReport) -> str:
    return "this process, on the database" if report.checked_by == "direct" else report.checked_by

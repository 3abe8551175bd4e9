"""The spend ledger against the chain: usage rows, spends and budgets are plain rows that a
database superuser could change; each must agree with the events the verified chain holds
(docs/SPEC.md §9, budgets). Read by `daemon doctor` and `daemon.verify`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from striatum.store import connection as db
from striatum.store.sql import queries


def problems(conn: db.Conn) -> list[str]:
    """Every disagreement found (at most 20 of each kind); empty when the ledger holds."""
    sql = queries("ledger")
    found = [
        f"run {row['run_id']}, event {row['seq']}: {row['problem']}"
        for row in db.fetch_all(conn, sql["usage_rows_unlike_events"])
    ]
    for row in db.fetch_all(conn, sql["spends_unlike_rows"]):
        found.append(
            f"{_whose(row)} records ${row['spent_usd']:,.6f} and {row['spent_tokens']:,} tokens "
            f"spent; its usage rows sum to ${row['reported_usd']:,.6f} and "
            f"{row['reported_tokens']:,}"
        )
    for row in db.fetch_all(conn, sql["budgets_unlike_events"]):
        said = (
            "differs from the last one its events record"
            if row["recorded"]
            else ("was never recorded by an event")
        )
        found.append(f"{_whose(row)}: its budget {said}")
    return found


def _whose(row: Mapping[str, Any]) -> str:
    lane = row["lane"]
    return f"run {row['run_id']}" + ("" if lane is None else f", lane {lane}")

"""Store rows and the closed sets they carry (no database)."""

from __future__ import annotations

import datetime as dt
import enum
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from striatum.model.engine.records import (
    AttemptState,
    BlockerKind,
    BlockerState,
    LeaseOutcome,
    VerdictValue,
)
from striatum.store.work import Lease

SCHEMA = Path(__file__).parents[2] / "src" / "striatum" / "store" / "schema" / "schema.sql"
AT = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def _lease(**changes: object) -> Lease:
    values: dict[str, Any] = {
        "lease_id": "lease_1",
        "run_id": "run_1",
        "job_id": "build",
        "attempt": 1,
        "session_id": "ses_1",
        "holder": "operator",
        "lane": "main",
        "host": "host-a",
        "acquired_at": AT,
        "heartbeat_at": AT,
        "expires_at": AT,
        "ended_at": AT,
        "outcome": "released",
        "token_id": None,
        "expired": False,
        "heartbeat_age_s": Decimal("1.5"),
    }
    values.update(changes)
    return Lease.from_row(values)


def test_a_row_becomes_json_ready_values_in_field_order_with_enums_as_their_values() -> None:
    """The wire form of a row: every field in declaration order, enums as plain strings."""
    plain = _lease().to_dict()
    assert list(plain) == [
        "lease_id",
        "run_id",
        "job_id",
        "attempt",
        "session_id",
        "holder",
        "lane",
        "host",
        "acquired_at",
        "heartbeat_at",
        "expires_at",
        "ended_at",
        "outcome",
        "token_id",
        "expired",
        "heartbeat_age_s",
    ]
    assert type(plain["outcome"]) is str and plain["outcome"] == "released"
    assert plain["heartbeat_age_s"] == Decimal("1.5")


def test_a_view_picks_its_columns_in_the_order_it_names_them() -> None:
    assert _lease().to_dict(("attempt", "lease_id")) == {"attempt": 1, "lease_id": "lease_1"}


def test_a_live_lease_has_no_outcome() -> None:
    lease = _lease(outcome=None, ended_at=None)
    assert lease.outcome is None and lease.to_dict()["outcome"] is None


@pytest.mark.parametrize(
    ("table", "column", "members"),
    [
        ("job_attempts", "state", AttemptState),
        ("leases", "outcome", LeaseOutcome),
        ("verdicts", "value", VerdictValue),
        ("blockers", "kind", BlockerKind),
        ("blockers", "state", BlockerState),
    ],
)
def test_each_enum_is_exactly_the_set_its_column_allows(
    table: str, column: str, members: type[enum.StrEnum]
) -> None:
    """The schema's CHECK and the enum the store reads the column into name the same values."""
    body = re.search(
        rf"CREATE TABLE striatumd\.{table} \((.*?)\n\);", SCHEMA.read_text(), re.DOTALL
    )
    assert body is not None
    check = re.search(rf"\n\s+{column}\s+text[^\n]*?CHECK \({column} IN\s*\(([^)]*)\)", body[1])
    assert check is not None, f"{table}.{column} has no CHECK (... IN (...))"
    allowed = set(re.findall(r"'([a-z_]+)'", check[1]))
    assert allowed == {m.value for m in members}

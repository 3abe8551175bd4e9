"""The database, not our code, keeps events, artifacts and the audit log append-only."""

from __future__ import annotations

import pytest

from striatum import errors
from striatum.store import connection as db
from striatum.store import privileges
from tests.integration.chain_helpers import append_audits, append_events, register_repo

APPEND_ONLY = ["events", "artifacts", "audit_log"]


def _seed(runtime: db.Conn) -> None:
    repo_id = register_repo(runtime)
    append_events(runtime, repo_id, 2)
    append_audits(runtime, 2)
    runtime.execute(
        "INSERT INTO striatumd.artifacts (artifact_id, repo_id, path, kind, sha256, size_bytes) "
        "VALUES ('a1', 'r1', 'docs/x.md', 'finding', repeat('a', 64), 1)"
    )


@pytest.mark.parametrize("table", APPEND_ONLY)
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE striatumd.{table} SET {column} = {column}",
        "DELETE FROM striatumd.{table}",
        "TRUNCATE striatumd.{table}",
    ],
)
def test_runtime_role_cannot_change_or_remove_append_only_rows(
    runtime: db.Conn, table: str, statement: str
) -> None:
    _seed(runtime)
    column = "kind" if table == "artifacts" else "seq"
    with pytest.raises(errors.PermissionDenied, match="permission denied"):
        db.execute(runtime, statement.format(table=table, column=column))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE striatumd.attempt_usage SET output_tokens = 0",
        "DELETE FROM striatumd.attempt_usage",
        "TRUNCATE striatumd.attempt_usage",
    ],
)
def test_runtime_role_cannot_change_or_remove_usage_reports(
    runtime: db.Conn, admin: db.Conn, statement: str
) -> None:
    with pytest.raises(errors.PermissionDenied, match="permission denied"):
        db.execute(runtime, statement)
    if statement.startswith("TRUNCATE"):  # the statement trigger fires on an empty table
        with pytest.raises(errors.PermissionDenied, match="append-only"):
            db.execute(admin, statement)


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_triggers_refuse_changes_even_for_a_superuser(
    runtime: db.Conn, admin: db.Conn, table: str
) -> None:
    _seed(runtime)
    column = "kind" if table == "artifacts" else "seq"
    for statement in (
        f"UPDATE striatumd.{table} SET {column} = {column}",
        f"DELETE FROM striatumd.{table}",
        f"TRUNCATE striatumd.{table} CASCADE",
    ):
        with pytest.raises(errors.PermissionDenied, match="append-only"):
            db.execute(admin, statement)


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE striatumd.events DISABLE TRIGGER events_append_only",
        "ALTER TABLE striatumd.events ADD COLUMN sneaky text",
        "DROP TRIGGER events_append_only ON striatumd.events",
        "CREATE TABLE striatumd.mine (x int)",
        "CREATE OR REPLACE FUNCTION striatumd.refuse_change() RETURNS trigger "
        "LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'",
    ],
)
def test_runtime_role_cannot_alter_the_schema_or_its_guards(
    runtime: db.Conn, statement: str
) -> None:
    with pytest.raises(errors.PermissionDenied):
        db.execute(runtime, statement)


def test_runtime_role_cannot_grant_itself_update(runtime: db.Conn, admin: db.Conn) -> None:
    """PostgreSQL answers a grant without grant option with a warning; nothing changes."""
    db.execute(runtime, "GRANT UPDATE ON striatumd.events TO striatumd_runtime")
    assert privileges.problems(admin) == []


def test_a_freshly_migrated_database_has_no_privilege_problems(admin: db.Conn) -> None:
    assert privileges.problems(admin) == []


def test_a_granted_update_on_events_is_reported(admin: db.Conn) -> None:
    db.execute(admin, "GRANT UPDATE ON striatumd.events TO striatumd_runtime")
    assert privileges.problems(admin) == ["runtime role can UPDATE append-only table events"]

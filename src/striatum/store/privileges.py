"""Checks that the database still enforces what the design promises about roles."""

from __future__ import annotations

from striatum.store import connection as db
from striatum.store.sql import queries

APPEND_ONLY_TABLES = ("artifacts", "audit_log", "events")
_GUARD_TRIGGERS = ("append_only", "no_truncate")


def problems(conn: db.Conn) -> list[str]:
    """Every way the runtime role or the append-only guards fall short; empty when sound."""
    sql = queries("privileges")
    found: list[str] = []
    for row in db.fetch_all(conn, sql["runtime_table_privileges"]):
        table = row["table_name"]
        if table in APPEND_ONLY_TABLES:
            for action in ("update", "delete", "truncate"):
                if row[f"can_{action}"]:
                    found.append(f"runtime role can {action.upper()} append-only table {table}")
        if row["can_truncate"] and table not in APPEND_ONLY_TABLES:
            found.append(f"runtime role can TRUNCATE {table}")
    found += _role_problems(conn)
    found += _trigger_problems(conn)
    return found


def _role_problems(conn: db.Conn) -> list[str]:
    row = db.fetch_one(conn, queries("privileges")["runtime_role_attributes"])
    if row is None:
        return ["runtime role striatumd_runtime does not exist"]
    checks = {
        "rolsuper": "is a superuser",
        "rolcreaterole": "can create roles",
        "rolcreatedb": "can create databases",
        "rolbypassrls": "bypasses row security",
        "is_owner_member": "is a member of the schema owner role",
        "can_create": "can create objects in schema striatumd",
    }
    return [f"runtime role {text}" for column, text in checks.items() if row[column]]


def _trigger_problems(conn: db.Conn) -> list[str]:
    rows = db.fetch_all(conn, queries("privileges")["append_only_triggers"])
    enabled = {(r["table_name"], r["trigger_name"]) for r in rows if r["enabled"]}
    return [
        f"trigger {table}_{suffix} on {table} is missing or disabled"
        for table in APPEND_ONLY_TABLES
        for suffix in _GUARD_TRIGGERS
        if (table, f"{table}_{suffix}") not in enabled
    ]


def database_identity(conn: db.Conn) -> tuple[str | None, str]:
    """(instance id or None when the row is gone, the cluster's system identifier)."""
    row = db.fetch_one(conn, queries("privileges")["database_identity"])
    assert row is not None
    return row["instance_id"], str(row["system_identifier"])


def runtime_login_problem(conn: db.Conn, *, set_role: bool) -> str | None:
    """On a runtime connection: why its identity is not what the configuration promises."""
    row = db.fetch_one(conn, queries("privileges")["session_identity"])
    assert row is not None
    if row["current_user"] != db.RUNTIME_ROLE:
        return f"runtime sessions act as {row['current_user']}, not {db.RUNTIME_ROLE}"
    if not set_role and row["session_user"] != db.RUNTIME_ROLE:
        return (
            f"STRIATUM_RUNTIME_DATABASE_URL logs in as {row['session_user']}, not {db.RUNTIME_ROLE}"
        )
    return None

"""What a connection of the daemon's runtime role cannot do, beyond what
tests/integration/test_append_only.py already pins (UPDATE, DELETE and TRUNCATE of the
append-only tables, DISABLE and DROP TRIGGER, ADD COLUMN, CREATE TABLE in the schema,
replacing the guard function, granting itself UPDATE).

Every statement runs through a runtime connection (`runtime` fixture) on every server kind:
the embedded cluster (the daemon logs in as striatumd_runtime) and an external server
reached by URL (the daemon logs in as the URL's user and drops to the runtime role with
SET ROLE).
"""

from __future__ import annotations

import pytest
from psycopg.conninfo import make_conninfo

from striatum import errors
from striatum.store import connection as db
from tests.integration.chain_helpers import append_events, register_repo

REFUSED = [
    # the role itself
    "ALTER ROLE striatumd_runtime SUPERUSER",
    "ALTER ROLE striatumd_runtime BYPASSRLS",
    "ALTER ROLE striatumd_runtime CREATEROLE",
    "ALTER ROLE striatumd_runtime SET session_replication_role = replica",
    "GRANT striatumd_owner TO striatumd_runtime",
    # switching the triggers off without touching them
    "SET session_replication_role = replica",
    "ALTER TABLE striatumd.events ENABLE REPLICA TRIGGER events_append_only",
    "ALTER SYSTEM SET session_replication_role = replica",
    # the schema and its guards
    "DROP TABLE striatumd.events",
    "ALTER TABLE striatumd.audit_log RENAME TO audit_log_old",
    "ALTER TABLE striatumd.artifacts OWNER TO striatumd_runtime",
    "ALTER TABLE striatumd.events ALTER COLUMN row_hash DROP NOT NULL",
    "CREATE RULE sneaky AS ON INSERT TO striatumd.events DO INSTEAD NOTHING",
    "CREATE TRIGGER sneaky BEFORE INSERT ON striatumd.audit_log FOR EACH ROW "
    "EXECUTE FUNCTION striatumd.refuse_change()",
    "DROP FUNCTION striatumd.refuse_change() CASCADE",
    "ALTER FUNCTION striatumd.refuse_change() OWNER TO striatumd_runtime",
    "CREATE FUNCTION striatumd.sneaky() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "CREATE VIEW striatumd.sneaky AS SELECT 1 AS x",
    "CREATE SCHEMA sneaky",
    "COMMENT ON TABLE striatumd.events IS 'mine'",
    # forging the migration ledger or the instance
    "INSERT INTO striatumd.schema_migrations (version, name, sha256) VALUES (999, 'x', 'x')",
    "DELETE FROM striatumd.schema_migrations",
    "UPDATE striatumd.instance SET instance_id = instance_id",
    # the server's files and programs
    "COPY striatumd.events FROM PROGRAM 'true'",
    "COPY (SELECT 1) TO '/tmp/striatum-runtime-sneaky'",
    "SELECT pg_read_file('/etc/hostname')",
]


@pytest.mark.parametrize("statement", REFUSED)
def test_the_runtime_role_cannot(runtime: db.Conn, statement: str) -> None:
    with pytest.raises(errors.PermissionDenied):
        db.execute(runtime, statement)


def test_the_runtime_role_cannot_lock_out_the_event_chain(runtime: db.Conn) -> None:
    """ACCESS EXCLUSIVE on events would stall every writer: it needs UPDATE, DELETE or
    TRUNCATE, which the runtime role lacks on the append-only tables."""
    with pytest.raises(errors.PermissionDenied), runtime.transaction():
        db.execute(runtime, "LOCK TABLE striatumd.events IN ACCESS EXCLUSIVE MODE")


def test_the_runtime_role_holds_no_special_attribute_and_no_other_role(admin: db.Conn) -> None:
    role = db.fetch_one(
        admin,
        "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, "
        "rolreplication, rolinherit FROM pg_roles "
        "WHERE rolname = 'striatumd_runtime'",
    )
    assert role is not None
    assert not any(
        role[k]
        for k in ("rolsuper", "rolcreaterole", "rolcreatedb", "rolbypassrls", "rolreplication")
    )
    memberships = db.fetch_all(
        admin,
        "SELECT r.rolname FROM pg_auth_members m "
        "JOIN pg_roles r ON r.oid = m.roleid "
        "JOIN pg_roles u ON u.oid = m.member "
        "WHERE u.rolname = 'striatumd_runtime'",
    )
    assert memberships == []


def test_no_function_of_the_schema_runs_with_its_owners_rights(admin: db.Conn) -> None:
    """A SECURITY DEFINER function would be a door from the runtime role to the owner's."""
    found = db.fetch_all(
        admin,
        "SELECT proname FROM pg_proc p JOIN pg_namespace n "
        "ON n.oid = p.pronamespace WHERE n.nspname = 'striatumd' "
        "AND p.prosecdef",
    )
    assert found == []


ESCAPES = [
    "SET ROLE striatumd_owner",
    "SET SESSION AUTHORIZATION DEFAULT",
    "RESET ROLE",
]


def own_login(database: db.Database) -> db.Database:
    """The configuration SPEC §3 asks of an external server: runtime sessions log in as
    striatumd_runtime themselves (STRIATUM_RUNTIME_DATABASE_URL), no SET ROLE."""
    if database.runtime_set_role is None:
        return database
    runtime_url = make_conninfo(database.admin_conninfo, user=db.RUNTIME_ROLE)
    return db.Database.from_url(database.admin_conninfo, runtime_url)


@pytest.mark.parametrize("escape", ESCAPES)
def test_a_runtime_connection_cannot_become_another_role_and_switch_the_guards_off(
    database: db.Database, escape: str
) -> None:
    conn = db.connect_runtime(own_login(database), autocommit=True)
    try:
        repo_id = register_repo(conn)
        append_events(conn, repo_id, 1)
        with pytest.raises(errors.PermissionDenied):
            db.execute(conn, escape)
            db.execute(conn, "ALTER TABLE striatumd.events DISABLE TRIGGER events_append_only")
    finally:
        conn.close()


def test_with_one_url_the_escape_is_possible_and_the_daemon_warns(
    database: db.Database, runtime: db.Conn
) -> None:
    """Pins the limit that STRIATUM_RUNTIME_DATABASE_URL closes (SPEC §3)."""
    if database.runtime_set_role is None:
        pytest.skip("the embedded cluster always logs in as the runtime role")
    from striatum.store import privileges

    assert privileges.runtime_login_problem(runtime, set_role=True) is None
    db.execute(runtime, "RESET ROLE")  # possible: hence the daemon's start-up warning
    assert privileges.runtime_login_problem(runtime, set_role=True) is not None

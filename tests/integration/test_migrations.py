"""Applying migrations: once, in order, under a lock, refusing edited files."""

from __future__ import annotations

import threading
from importlib import resources

import psycopg
import pytest

from striatum import errors
from striatum.store import connection as db
from striatum.store import migrations
from tests.support.servers import PgServer

CATALOG = """
SELECT 'column' AS kind, table_name || '.' || column_name || ' ' || data_type || ' '
       || is_nullable || ' ' || coalesce(column_default, '') AS item
FROM information_schema.columns WHERE table_schema = 'striatumd'
UNION ALL
SELECT 'constraint', conrelid::regclass::text || ' ' || pg_get_constraintdef(oid)
FROM pg_constraint WHERE connamespace = 'striatumd'::regnamespace
UNION ALL
SELECT 'index', indexdef FROM pg_indexes WHERE schemaname = 'striatumd'
UNION ALL
SELECT 'trigger', tgname || ' ' || pg_get_triggerdef(t.oid)
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE c.relnamespace = 'striatumd'::regnamespace AND NOT tgisinternal
UNION ALL
SELECT 'function', p.proname || ' ' || pg_get_functiondef(p.oid)
FROM pg_proc p WHERE p.pronamespace = 'striatumd'::regnamespace
UNION ALL
SELECT 'grant', table_name || ' ' || grantee || ' ' || privilege_type
FROM information_schema.role_table_grants WHERE table_schema = 'striatumd'
UNION ALL
SELECT 'owner', c.relname || ' ' || pg_get_userbyid(c.relowner)
FROM pg_class c WHERE c.relnamespace = 'striatumd'::regnamespace
ORDER BY 1, 2
"""


def catalog(database: db.Database) -> list[tuple[str, str]]:
    with psycopg.connect(database.admin_conninfo) as conn:
        return [(kind, item) for kind, item in conn.execute(CATALOG).fetchall()]


def test_migrating_a_fresh_database_applies_everything_then_nothing(server: PgServer) -> None:
    database = server.empty()
    try:
        first = migrations.migrate(database)
        second = migrations.migrate(database)
    finally:
        server.drop(database)
    assert first.applied == [m.name for m in migrations.available()]
    assert (second.applied, second.already_applied) == ([], first.applied)


def test_concurrent_migrators_apply_each_file_exactly_once(server: PgServer) -> None:
    database = server.empty()
    reports: list[migrations.MigrationReport] = []
    threads = [
        threading.Thread(target=lambda: reports.append(migrations.migrate(database)))
        for _ in range(3)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        applied = [name for report in reports for name in report.applied]
        assert sorted(applied) == [m.name for m in migrations.available()]
        assert len(reports) == 3
    finally:
        server.drop(database)


def test_schema_sql_matches_the_migrations(server: PgServer, database: db.Database) -> None:
    """schema.sql is the current schema in one file; it must equal all migrations applied."""
    from_schema = server.empty()
    try:
        with psycopg.connect(from_schema.admin_conninfo, autocommit=True) as conn:
            text = resources.files("striatum.store.schema").joinpath("schema.sql").read_text()
            conn.execute(text)
        assert catalog(from_schema) == catalog(database)
    finally:
        server.drop(from_schema)


def test_an_edited_applied_migration_stops_the_daemon_with_its_name(
    database: db.Database, admin: db.Conn
) -> None:
    db.execute(admin, "ALTER TABLE striatumd.schema_migrations DISABLE TRIGGER ALL")
    db.execute(
        admin, "UPDATE striatumd.schema_migrations SET sha256 = repeat('0', 64) WHERE version = 1"
    )
    with pytest.raises(errors.MigrationError, match=r"0001_initial\.sql was edited"):
        migrations.migrate(database)
    with pytest.raises(errors.MigrationError, match=r"0001_initial\.sql"):
        migrations.pending(database)


def test_nothing_is_pending_on_a_migrated_database(database: db.Database) -> None:
    version, pending = migrations.pending(database)
    assert pending == [] and version


def test_repositories_adopted_before_0014_become_checkouts_of_the_host_that_adopted_them(
    server: PgServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each repository gets a checkout at its path: on the host its `repo.adopted` event names,
    else (no such event) on the host migrating; ids, paths and chains are unchanged, and the
    path then finds it on that host only."""
    from striatum.store import chains, repositories
    from tests.integration.chain_helpers import register_repo

    database = server.empty()
    try:
        migrations.migrate(database, through=13)
        conn = db.connect_admin(database, autocommit=True)
        register_repo(conn, "evented")
        register_repo(conn, "silent")
        db.in_transaction(
            conn,
            lambda c: chains.append_event(
                c, repo_id="evented", type="repo.adopted", actor="operator", payload={}
            ),
        )
        monkeypatch.setenv("STRIATUM_HOST", "the-migrator")
        assert migrations.migrate(database).applied[0] == "0014_checkouts.sql"
        found = [
            (row["repo_id"], row["host"], row["path"])
            for row in db.fetch_all(conn, "SELECT * FROM striatumd.checkouts ORDER BY repo_id")
        ]
        assert found == [
            ("evented", chains.writer_host(), "/srv/evented"),
            ("silent", "the-migrator", "/srv/silent"),
        ]
        silent = repositories.find_by_path(conn, "/srv/silent")
        assert silent is not None and silent.repo_id == "silent"
        monkeypatch.setenv("STRIATUM_HOST", "another-host")
        assert repositories.find_by_path(conn, "/srv/silent") is None
        conn.close()
    finally:
        server.drop(database)

"""doctor names the first bad row of a tampered chain, and is green on a sound database."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from striatum.integrity import chain_check, doctor
from striatum.store import connection as db
from tests.integration.chain_helpers import append_audits, append_events, register_repo
from tests.support.servers import PgServer

INTEGRITY = 8


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STRIATUM_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def seeded(runtime: db.Conn) -> db.Conn:
    register_repo(runtime)
    append_events(runtime, "r1", 10)
    append_audits(runtime, 10)
    return runtime


def _as_attacker(admin: db.Conn, table: str, statement: str) -> None:
    """A superuser who disables the guard, changes rows, and puts the guard back."""
    db.execute(admin, f"ALTER TABLE striatumd.{table} DISABLE TRIGGER USER")
    db.execute(admin, statement)
    db.execute(admin, f"ALTER TABLE striatumd.{table} ENABLE TRIGGER USER")


def _break(report: doctor.DoctorReport, chain_name: str) -> tuple[int, str]:
    for chain_report in report.chains:
        if chain_report.chain == chain_name and chain_report.first_break:
            return chain_report.first_break.seq, chain_report.first_break.reason
    raise AssertionError(f"no break reported on {chain_name}: {report.to_dict()}")


def test_doctor_is_green_on_a_sound_database(database: db.Database, seeded: db.Conn) -> None:
    report = doctor.run(database, apply_migrations=True)
    assert report.ok and report.exit_code == 0
    assert {c.chain: c.rows for c in report.chains} == {"audit": 10, "repo:r1": 10}


def test_one_changed_byte_of_an_event_payload_is_named(
    database: db.Database, seeded: db.Conn, admin: db.Conn
) -> None:
    _as_attacker(
        admin,
        "events",
        "UPDATE striatumd.events SET payload = "
        "jsonb_set(payload, '{note}', '\"ko\"') WHERE seq = 4",
    )
    report = doctor.run(database, apply_migrations=False)
    assert report.exit_code == INTEGRITY
    assert _break(report, "repo:r1") == (4, "column 'payload' differs from the hashed record")


@pytest.mark.parametrize(
    ("table", "column", "chain_name"),
    [("events", "payload", "repo:r1"), ("audit_log", "params", "audit")],
)
def test_a_changed_body_column_alone_is_named_without_the_deep_check(
    database: db.Database,
    seeded: db.Conn,
    admin: db.Conn,
    table: str,
    column: str,
    chain_name: str,
) -> None:
    """Records v2: the fast check compares the payload/params column with its digest."""
    _as_attacker(
        admin,
        table,
        f"UPDATE striatumd.{table} SET {column} = {column} || '{{\"n\": -1}}' WHERE seq = 5",
    )
    report = doctor.run(database, apply_migrations=False, deep=False)
    assert report.exit_code == INTEGRITY
    assert _break(report, chain_name) == (5, f"column {column!r} differs from the hashed record")


def test_one_changed_byte_of_the_hashed_bytes_is_named(
    database: db.Database, seeded: db.Conn, admin: db.Conn
) -> None:
    _as_attacker(
        admin,
        "events",
        "UPDATE striatumd.events SET canonical = "
        "overlay(canonical placing 'X'::bytea from 12 for 1) WHERE seq = 6",
    )
    report = doctor.run(database, apply_migrations=False, deep=False)
    assert report.exit_code == INTEGRITY
    assert _break(report, "repo:r1")[0] == 6


def test_one_changed_audit_row_is_named(
    database: db.Database, seeded: db.Conn, admin: db.Conn
) -> None:
    _as_attacker(
        admin, "audit_log", "UPDATE striatumd.audit_log SET method = 'token.create' WHERE seq = 7"
    )
    report = doctor.run(database, apply_migrations=False)
    assert report.exit_code == INTEGRITY
    assert _break(report, "audit") == (7, "column 'method' differs from the hashed record")


def test_a_deleted_event_is_caught(database: db.Database, seeded: db.Conn, admin: db.Conn) -> None:
    _as_attacker(admin, "events", "DELETE FROM striatumd.events WHERE seq = 5")
    report = doctor.run(database, apply_migrations=False)
    assert report.exit_code == INTEGRITY
    assert _break(report, "repo:r1") == (6, "sequence gap or reorder")


def test_reordered_events_are_caught(
    database: db.Database, seeded: db.Conn, admin: db.Conn
) -> None:
    _as_attacker(
        admin,
        "events",
        "UPDATE striatumd.events SET seq = CASE seq WHEN 3 THEN 4 "
        "ELSE 3 END + 1000 WHERE seq IN (3, 4)",
    )
    db.execute(admin, "ALTER TABLE striatumd.events DISABLE TRIGGER USER")
    db.execute(admin, "UPDATE striatumd.events SET seq = seq - 1000 WHERE seq > 1000")
    report = doctor.run(database, apply_migrations=False)
    assert report.exit_code == INTEGRITY
    assert _break(report, "repo:r1")[0] == 3
    assert any("trigger events_append_only" in p for p in report.privilege_problems)


def test_a_truncated_tail_with_a_forged_head_is_caught_by_the_anchor(
    database: db.Database, seeded: db.Conn, admin: db.Conn
) -> None:
    assert doctor.run(database, apply_migrations=False).ok  # records the anchors
    _as_attacker(admin, "events", "DELETE FROM striatumd.events WHERE seq > 8")
    db.execute(
        admin,
        "UPDATE striatumd.chain_heads SET seq = 8, row_hash = (SELECT row_hash "
        "FROM striatumd.events WHERE seq = 8) WHERE chain = 'repo:r1'",
    )
    report = doctor.run(database, apply_migrations=False)
    assert all(c.ok for c in report.chains)  # the chain alone looks consistent
    assert report.exit_code == INTEGRITY
    assert [(b.chain, b.seq) for b in report.anchor_breaks] == [("repo:r1", 10)]


def test_pending_migrations_are_reported_not_applied(server: PgServer) -> None:
    empty = server.empty()
    try:
        report = doctor.run(empty, apply_migrations=False)
        assert report.exit_code == 11 and report.migrations_pending
        assert doctor.run(empty, apply_migrations=True).ok
    finally:
        server.drop(empty)


def test_a_deleted_chain_head_does_not_hide_the_chain(
    database: db.Database, seeded: db.Conn, admin: db.Conn
) -> None:
    db.execute(admin, "DELETE FROM striatumd.chain_heads WHERE chain = 'repo:r1'")
    report = doctor.run(database, apply_migrations=False)
    assert report.exit_code == INTEGRITY
    assert _break(report, "repo:r1")[1] == "rows exist but the chain has no head"


def test_an_interrupted_first_start_is_completed_by_the_next(tmp_path: Path) -> None:
    import shutil

    from striatum.daemon.embedded import EmbeddedCluster
    from striatum.store import migrations
    from tests.support.servers import world_traversable_tempdir

    base = world_traversable_tempdir("striatum-interrupted-")
    try:
        cluster = EmbeddedCluster(root=base / "pg")
        cluster.ensure_initialized()  # initdb ran; the database was never created
        cluster.start()
        try:
            assert migrations.migrate(cluster.database()).applied
        finally:
            cluster.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_stale_pidfile_naming_another_process_is_not_taken_for_postgres(
    tmp_path: Path,
) -> None:
    import os

    from striatum.daemon.embedded import EmbeddedCluster

    cluster = EmbeddedCluster(root=tmp_path / "pg", bin_dir=tmp_path)
    cluster.data_dir.mkdir(parents=True)
    (cluster.data_dir / "postmaster.pid").write_text(f"{os.getpid()}\n")
    assert cluster.running_pid() is None


def test_rows_appended_while_a_chain_is_walked_are_not_a_break(
    database: db.Database, runtime: db.Conn
) -> None:
    """The head is read after the walk: an append that lands in between is past the walk's
    end, and its row is there, so it is growth, never a "truncated or rewritten tail"."""
    register_repo(runtime)
    append_events(runtime, "r1", 50)
    stop = threading.Event()

    def keep_appending() -> None:
        writer = db.connect_runtime(database, autocommit=True)
        n = 50
        while not stop.is_set():
            append_events(writer, "r1", 1, start=n)
            n += 1
        writer.close()

    appender = threading.Thread(target=keep_appending)
    appender.start()
    try:
        reports = [
            chain_check.verify_chain_serially(runtime, "repo:r1", deep=False) for _ in range(40)
        ]
    finally:
        stop.set()
        appender.join()
    assert all(report.ok for report in reports), [r.first_break for r in reports if not r.ok]
    assert reports[-1].rows > 50

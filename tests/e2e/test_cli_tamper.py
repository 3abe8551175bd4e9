"""The tamper scenarios through the real CLI: exit code 8 and the bad row named on stdout."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from striatum.daemon.embedded import EmbeddedCluster
from striatum.store import connection as db
from tests.e2e.cli_helpers import run
from tests.e2e.test_striatumd import finish, postmaster_pid, start_daemon
from tests.integration.chain_helpers import append_audits, append_events, register_repo
from tests.support.servers import world_traversable_tempdir


@pytest.fixture
def home() -> Iterator[Path]:
    base = world_traversable_tempdir("striatum-home-")
    yield base / "home"
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def live_daemon(home: Path) -> Iterator[db.Database]:
    """striatumd holding the embedded cluster, with 5 events and 5 audit rows written."""
    daemon = start_daemon(home)
    database = EmbeddedCluster(root=home / "postgres").database()
    conn = db.connect_runtime(database, autocommit=True)
    register_repo(conn)
    append_events(conn, "r1", 5)
    append_audits(conn, 5)
    conn.close()
    try:
        yield database
    finally:
        finish(daemon)


def tamper(database: db.Database, table: str, statement: str) -> None:
    with psycopg.connect(database.admin_conninfo, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE striatumd.{table} DISABLE TRIGGER USER")
        conn.execute(statement)
        conn.execute(f"ALTER TABLE striatumd.{table} ENABLE TRIGGER USER")


def test_a_changed_event_payload_exits_8_naming_chain_and_seq(
    home: Path, live_daemon: db.Database
) -> None:
    assert run(["striatum", "daemon", "doctor"], home).returncode == 0
    tamper(
        live_daemon,
        "events",
        "UPDATE striatumd.events SET payload = "
        "jsonb_set(payload, '{note}', '\"OK\"') WHERE seq = 3",
    )
    result = run(["striatum", "daemon", "doctor"], home)
    assert result.returncode == 8
    assert "chain repo:r1: BROKEN at seq 3: column 'payload' differs" in result.stdout
    assert "chain audit: ok" in result.stdout


def test_a_changed_audit_row_exits_8_naming_it_in_json(
    home: Path, live_daemon: db.Database
) -> None:
    tamper(
        live_daemon,
        "audit_log",
        "UPDATE striatumd.audit_log SET canonical = "
        "overlay(canonical placing 'Z'::bytea from 20 for 1) WHERE seq = 2",
    )
    result = run(["striatum", "daemon", "doctor", "--json", "--fast"], home)
    assert result.returncode == 8
    report = json.loads(result.stdout)
    broken = [c for c in report["chains"] if not c["ok"]]
    assert [(c["chain"], c["first_break"]["seq"]) for c in broken] == [("audit", 2)]
    assert len(broken[0]["first_break"]["expected"]) == 64


def test_an_edited_migration_stops_striatumd_with_one_message(home: Path) -> None:
    daemon = start_daemon(home)
    database = EmbeddedCluster(root=home / "postgres").database()
    tamper(
        database,
        "schema_migrations",
        "UPDATE striatumd.schema_migrations SET sha256 = repeat('1', 64)",
    )
    assert finish(daemon) == 0
    result = run(["striatumd"], home, timeout=60)
    assert result.returncode == 11
    assert "0001_initial.sql was edited after it was applied" in result.stderr
    assert "Traceback" not in result.stderr
    assert postmaster_pid(home) is None  # the cluster was stopped again on the way out


def test_daemon_verify_reports_a_broken_chain_while_the_daemon_stays_up(
    home: Path, live_daemon: db.Database
) -> None:
    healthy = json.loads(run(["striatum", "daemon", "verify", "--json"], home).stdout)
    assert healthy["ok"] is True and healthy["migrations"]["pending"] == []
    assert {c["chain"] for c in healthy["chains"]} == {"audit", "repo:r1"}
    tamper(
        live_daemon,
        "events",
        "UPDATE striatumd.events SET payload = "
        "jsonb_set(payload, '{note}', '\"OK\"') WHERE seq = 3",
    )
    tamper(
        live_daemon,
        "audit_log",
        "UPDATE striatumd.audit_log SET params = params || '{\"n\": 7}' WHERE seq = 4",
    )
    # Records v2: the fast check (the default, what `striatum doctor` asks for) compares the
    # payload and params columns with the digests the hashed bytes hold.
    for flags in ([], ["--deep"]):
        result = run(["striatum", "daemon", "verify", "--json", *flags], home)
        assert result.returncode == 8  # the report says what is wrong, the exit code agrees
        report = json.loads(result.stdout)
        broken = {c["chain"]: c["first_break"] for c in report["chains"] if not c["ok"]}
        assert report["ok"] is False and sorted(broken) == ["audit", "repo:r1"]
        assert (broken["repo:r1"]["seq"], broken["audit"]["seq"]) == (3, 4)
        assert broken["audit"]["reason"] == "column 'params' differs from the hashed record"
    assert run(["striatum", "daemon", "status"], home).returncode == 0

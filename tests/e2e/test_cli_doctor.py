"""`striatum daemon doctor` end to end: provisioning the embedded cluster, JSON, exit codes."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from striatum.store import migrations
from tests.e2e.cli_helpers import run
from tests.support.servers import PgServer, world_traversable_tempdir


@pytest.fixture
def home() -> Iterator[Path]:
    base = world_traversable_tempdir("striatum-home-")
    yield base / "home"
    shutil.rmtree(base, ignore_errors=True)


def test_doctor_provisions_the_embedded_cluster_and_is_green(home: Path) -> None:
    first = run(["striatum", "daemon", "doctor", "--apply-migrations", "--json"], home)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["ok"] is True
    assert report["migrations"]["applied_now"] == [m.name for m in migrations.available()]
    assert (home / "postgres" / "data" / "PG_VERSION").exists()
    assert "Traceback" not in first.stderr

    second = run(["striatum", "daemon", "doctor", "--apply-migrations", "--json"], home)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["migrations"]["applied_now"] == []
    # The cluster is stopped after the check: no postmaster is left running.
    assert not (home / "postgres" / "data" / "postmaster.pid").exists()


def test_doctor_without_apply_reports_pending_migrations_with_exit_11(home: Path) -> None:
    result = run(["striatum", "daemon", "doctor"], home)
    assert result.returncode == 11
    assert "pending 0001_initial.sql, 0002_run_engine.sql" in result.stdout
    assert "--apply-migrations" in result.stdout


def test_doctor_against_an_external_url(home: Path, server: PgServer) -> None:
    database = server.clone()
    try:
        result = run(
            ["striatum", "daemon", "doctor", "--json"],
            home,
            extra_env={"STRIATUM_DATABASE_URL": database.admin_conninfo},
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert not (home / "postgres").exists()  # no embedded cluster was made
    finally:
        server.drop(database)


def test_an_unreachable_database_is_one_line_and_exit_9(home: Path) -> None:
    result = run(
        [
            "striatum",
            "daemon",
            "doctor",
            "--database-url",
            "host=/nonexistent-dir port=5 dbname=x user=y",
        ],
        home,
    )
    assert result.returncode == 9
    assert "Traceback" not in result.stdout + result.stderr
    assert "PostgreSQL cannot be reached" in result.stdout or "connection" in result.stdout


def test_a_malformed_database_url_is_a_usage_error(home: Path) -> None:
    result = run(["striatum", "daemon", "doctor", "--database-url", "not a url =="], home)
    assert result.returncode == 2
    assert "invalid database URL" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_an_unknown_command_is_a_usage_error(home: Path) -> None:
    result = run(["striatum", "daemon", "frobnicate"], home)
    assert result.returncode == 2 and "Traceback" not in result.stderr

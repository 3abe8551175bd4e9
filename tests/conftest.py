"""Shared fixtures: real PostgreSQL servers and a fresh database per test."""

from __future__ import annotations

import os
from collections.abc import Iterator

# Handlers run in this process too: their incremental planning is checked against the
# whole run's on every transition (engine/progress.py), before the engine is imported.
os.environ["STRIATUM_PLAN_CROSSCHECK"] = "1"

import pytest

from striatum.store import connection as db
from tests.support import servers
from tests.support.daemons import DaemonUnderTest, discard, new_daemon

SERVER_NAMES = ["embedded", "system-pg15"]


@pytest.fixture(scope="session")
def embedded_server() -> Iterator[servers.PgServer]:
    """The embedded cluster, once per worker."""
    with servers.running("embedded") as started:
        yield started


@pytest.fixture(scope="session")
def system_server() -> Iterator[servers.PgServer]:
    """Debian's PostgreSQL 15, reached like an external URL server; skipped where absent."""
    if not servers.system_pg_available():
        pytest.skip("no system PostgreSQL 15 installed")
    with servers.running("system-pg15") as started:
        yield started


@pytest.fixture(params=SERVER_NAMES)
def server(request: pytest.FixtureRequest) -> servers.PgServer:
    """Substrate tests run on every server kind present."""
    name = "embedded_server" if request.param == "embedded" else "system_server"
    found: servers.PgServer = request.getfixturevalue(name)
    return found


@pytest.fixture
def database(server: servers.PgServer) -> Iterator[db.Database]:
    """A freshly migrated database cloned from the worker's template."""
    cloned = server.clone()
    try:
        yield cloned
    finally:
        server.drop(cloned)


@pytest.fixture
def runtime(database: db.Database) -> Iterator[db.Conn]:
    """A connection as the daemon's runtime role (autocommit; use db.in_transaction)."""
    conn = db.connect_runtime(database, autocommit=True)
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture
def admin(database: db.Database) -> Iterator[db.Conn]:
    """A superuser connection to the test database, for tampering like an attacker."""
    conn = db.connect_admin(database, autocommit=True)
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture
def daemon(embedded_server: servers.PgServer) -> Iterator[DaemonUnderTest]:
    """A running striatumd (started by `striatum daemon start`) on a fresh database."""
    server = embedded_server
    cloned = server.clone()
    started = new_daemon(cloned)
    try:
        started.start()
        yield started
        # Every test that used a daemon leaves chains that verify.
        report = started.cli("daemon", "doctor", "--json", "--fast")
        assert report.returncode == 0, report.stdout + report.stderr
    finally:
        discard(started)
        server.drop(cloned)

"""Shared fixtures: real PostgreSQL servers and a fresh database per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from striatum.store import connection as db
from tests.support import servers

SERVER_NAMES = ["embedded", "system-pg15"]


@pytest.fixture(scope="session", params=SERVER_NAMES)
def server(request: pytest.FixtureRequest) -> Iterator[servers.PgServer]:
    """Each server kind once per worker; the system PostgreSQL 15 only where installed."""
    if request.param == "system-pg15" and not servers.system_pg_available():
        pytest.skip("no system PostgreSQL 15 installed")
    started, base = servers.start_server(request.param)
    try:
        yield started
    finally:
        servers.stop_server(started, base)


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

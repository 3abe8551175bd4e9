"""An external server with a separate runtime login (STRIATUM_RUNTIME_DATABASE_URL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from psycopg.conninfo import make_conninfo

from striatum.store.connection import RUNTIME_ROLE
from tests.support.daemons import DaemonUnderTest, discard, new_daemon
from tests.support.servers import PgServer

WARNING = "set STRIATUM_RUNTIME_DATABASE_URL"


@pytest.fixture
def unstarted(embedded_server: PgServer) -> Iterator[DaemonUnderTest]:
    database = embedded_server.clone()
    daemon = new_daemon(database)
    try:
        yield daemon
    finally:
        discard(daemon)
        embedded_server.drop(database)


def test_one_url_works_and_warns(daemon: DaemonUnderTest) -> None:
    assert WARNING in daemon.log.read_text()


def test_a_runtime_url_logs_in_as_the_runtime_role(unstarted: DaemonUnderTest) -> None:
    assert unstarted.database is not None
    unstarted.env["STRIATUM_RUNTIME_DATABASE_URL"] = make_conninfo(
        unstarted.database.admin_conninfo, user=RUNTIME_ROLE
    )
    unstarted.start()
    assert unstarted.json("whoami")["role"] == "operator"
    assert WARNING not in unstarted.log.read_text()


def test_a_runtime_url_of_another_user_is_refused(unstarted: DaemonUnderTest) -> None:
    assert unstarted.database is not None
    unstarted.env["STRIATUM_RUNTIME_DATABASE_URL"] = unstarted.database.admin_conninfo
    result = unstarted.cli("daemon", "start")
    assert result.returncode == 7  # `daemon start`: no daemon came up
    assert "striatumd exited with status 2 during start-up" in result.stderr
    assert f"not {RUNTIME_ROLE}" in result.stderr

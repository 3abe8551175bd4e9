"""Fixtures of the abuse suite: one daemon shared by a module's many hostile requests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import servers
from tests.support.daemons import DaemonUnderTest, alive, discard, new_daemon


@pytest.fixture(scope="module")
def shared_daemon(
    request: pytest.FixtureRequest, embedded_server: servers.PgServer
) -> Iterator[DaemonUnderTest]:
    """A running striatumd for a whole module (per xdist worker), with the module's
    DAEMON_ENV if it has one. Tests using it must leave nothing another test depends on. At
    the end the daemon is still the one started, its log holds no traceback, and its chains
    verify."""
    cloned = embedded_server.clone()
    started = new_daemon(cloned)
    started.env.update(getattr(request.module, "DAEMON_ENV", {}))
    try:
        started.start()
        pid = started.pid()
        yield started
        assert alive(pid) and started.pid() == pid, "the daemon died under the abuse suite"
        assert "Traceback" not in started.log.read_text()
        report = started.cli("daemon", "doctor", "--json", "--fast")
        assert report.returncode == 0, report.stdout + report.stderr
    finally:
        discard(started)
        embedded_server.drop(cloned)

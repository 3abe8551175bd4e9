"""Two daemons (different runtime dirs) on one PostgreSQL: both serve, state is shared."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.daemons import DaemonUnderTest, daemon_pair
from tests.support.servers import PgServer


@pytest.fixture
def pair(server: PgServer) -> Iterator[tuple[DaemonUnderTest, DaemonUnderTest]]:
    with daemon_pair(server) as both:
        yield both


def test_two_daemons_share_tokens_and_one_audit_chain(
    pair: tuple[DaemonUnderTest, DaemonUnderTest],
) -> None:
    first, second = pair
    assert first.json("daemon", "status")["pid"] != second.json("daemon", "status")["pid"]
    same_instance = {d.json("daemon", "status")["instance_id"] for d in pair}
    assert len(same_instance) == 1
    created = first.json("--as", "principal", "token", "create", "--role", "reader")
    assert second.json("whoami", token=created["secret"])["token_id"] == created["token_id"]
    second.json("--as", "principal", "token", "revoke", created["token_id"])
    assert first.cli("whoami", token=created["secret"]).returncode == 14
    for _ in range(5):
        first.cli("whoami")
        second.cli("whoami")
    doctor = first.json("daemon", "doctor")
    assert doctor["ok"], doctor
    audit = next(c for c in doctor["chains"] if c["chain"] == "audit")
    actors = {
        row["actor"]
        for row in first.json("--as", "principal", "audit", "list", "--limit", "30")["rows"]
    }
    assert audit["rows"] >= 20
    assert first.token("operator") != second.token("operator")
    assert len(actors) >= 2

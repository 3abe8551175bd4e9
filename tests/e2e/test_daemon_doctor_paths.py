"""`striatum daemon doctor` asks a daemon that answers, and checks directly when none does.

The direct path is what still works with the daemon down or wedged: a stopped (SIGSTOP)
daemon must not hang the doctor, and both paths must find the same tampered row.
"""

from __future__ import annotations

import json
import os
import signal
import time

from striatum.store import connection as db
from tests.support.daemons import DaemonUnderTest

INTEGRITY = 8


def _report(daemon: DaemonUnderTest, *args: str) -> tuple[int, dict[str, object]]:
    result = daemon.cli("daemon", "doctor", "--json", *args, timeout=60)
    assert "Traceback" not in result.stderr
    return result.returncode, json.loads(result.stdout)


def _as_superuser(daemon: DaemonUnderTest, statement: str) -> None:
    """What an attacker with superuser rights does: lift the guard, change rows, restore it."""
    assert daemon.database is not None
    conn = db.connect_admin(daemon.database, autocommit=True)
    try:
        db.execute(conn, "ALTER TABLE striatumd.events DISABLE TRIGGER USER")
        db.execute(conn, statement)
        db.execute(conn, "ALTER TABLE striatumd.events ENABLE TRIGGER USER")
    finally:
        conn.close()


def _tamper_one_event(daemon: DaemonUnderTest) -> int:
    assert daemon.database is not None
    conn = db.connect_admin(daemon.database, autocommit=True)
    try:
        row = db.fetch_one(conn, "SELECT max(seq) AS seq FROM striatumd.events")
    finally:
        conn.close()
    assert row is not None and row["seq"] is not None
    seq = int(row["seq"])
    _as_superuser(
        daemon,
        "UPDATE striatumd.events SET payload = payload || '{\"forged\": true}' "
        f"WHERE seq = {seq}",
    )
    return seq


def test_a_running_daemon_does_the_check_and_the_heads_are_anchored(
    daemon: DaemonUnderTest,
) -> None:
    code, report = _report(daemon)
    assert code == 0, report
    assert report["checked_by"] == f"daemon pid {daemon.pid()}"
    assert "audit" in _anchored_heads(daemon)  # the daemon anchors on its own
    human = daemon.cli("daemon", "doctor")
    assert human.returncode == 0
    assert f"  checked by: daemon pid {daemon.pid()}" in human.stdout.splitlines()


def _anchored_heads(daemon: DaemonUnderTest) -> dict[str, object]:
    deadline = time.monotonic() + 20
    while True:
        lines = daemon.anchors_file.read_text().splitlines() if daemon.anchors_file.exists() else []
        heads = {k: v for line in lines for k, v in json.loads(line)["heads"].items()}
        if heads or time.monotonic() > deadline:
            return heads
        time.sleep(0.2)


def test_an_explicit_database_url_checks_directly(daemon: DaemonUnderTest) -> None:
    assert daemon.database is not None
    code, report = _report(daemon, "--database-url", daemon.database.admin_conninfo)
    assert code == 0, report
    assert report["checked_by"] == "direct"


def test_both_paths_name_the_same_tampered_event(daemon: DaemonUnderTest) -> None:
    daemon.cli("adopt", "--repo", str(daemon.base))  # puts events on a repository chain
    seq = _tamper_one_event(daemon)
    assert daemon.database is not None
    for extra in ((), ("--database-url", daemon.database.admin_conninfo)):
        code, report = _report(daemon, *extra)
        assert code == INTEGRITY, report
        chains = report["chains"]
        assert isinstance(chains, list)
        broken = [c for c in chains if not c["ok"]]
        assert [c["first_break"]["seq"] for c in broken] == [seq], report
    _repair(daemon, seq)


def test_a_wedged_daemon_is_passed_over_for_the_database(daemon: DaemonUnderTest) -> None:
    pid = daemon.pid()
    os.kill(pid, signal.SIGSTOP)  # it still accepts connections, and answers nothing
    try:
        code, report = _report(daemon)
    finally:
        os.kill(pid, signal.SIGCONT)
    assert code == 0, report
    assert report["checked_by"] == "direct"


def _repair(daemon: DaemonUnderTest, seq: int) -> None:
    """Put the forged event back, so the fixture's closing doctor is green again."""
    _as_superuser(
        daemon, f"UPDATE striatumd.events SET payload = payload - 'forged' WHERE seq = {seq}"
    )


def test_both_paths_give_an_edited_migration_with_its_hint(daemon: DaemonUnderTest) -> None:
    """The daemon's answer carries the refusal whole: the same error, hint and details."""
    assert daemon.database is not None
    conn = db.connect_admin(daemon.database, autocommit=True)
    row = db.fetch_one(conn, "SELECT sha256 FROM striatumd.schema_migrations WHERE version = 1")
    assert row is not None
    db.execute(conn, "ALTER TABLE striatumd.schema_migrations DISABLE TRIGGER ALL")
    try:
        _set_first_migration_sha(conn, "0" * 64)
        via_daemon = _report(daemon)
        direct = _report(daemon, "--database-url", daemon.database.admin_conninfo)
    finally:
        _set_first_migration_sha(conn, row["sha256"])
        db.execute(conn, "ALTER TABLE striatumd.schema_migrations ENABLE TRIGGER ALL")
        conn.close()
    assert via_daemon[1]["checked_by"] != "direct" and direct[1]["checked_by"] == "direct"
    assert via_daemon[0] == direct[0] == 11
    assert via_daemon[1]["error"] == direct[1]["error"]
    error = via_daemon[1]["error"]
    assert isinstance(error, dict)
    assert "restore the original file" in error["hint"]
    assert error["details"] == {"migration": "0001_initial.sql"}


def _set_first_migration_sha(conn: db.Conn, sha256: str) -> None:
    db.execute(
        conn,
        "UPDATE striatumd.schema_migrations SET sha256 = %(sha)s WHERE version = 1",
        {"sha": sha256},
    )

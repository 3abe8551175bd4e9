"""A database superuser against the anchors: each attack through the real daemon and CLI.

The daemon anchors chain heads in `<home>/anchors.jsonl` on its own; whatever the attacker
then does inside the database (delete a tail, truncate the audit log, forge the instance id,
drop and recreate the schema, rewrite a tail with the published recipe) both doctors exit 8
naming what broke, and the daemon never anchors the forged history. A principal's
`daemon accept-anchors` is the one way to make a changed database the anchored one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from striatum.integrity import anchor_file
from striatum.store import connection as db
from tests.integration.chain_helpers import append_events, register_repo
from tests.support import servers
from tests.support.daemons import DaemonUnderTest, discard, new_daemon

INTEGRITY = 8


@pytest.fixture
def victim(embedded_server: servers.PgServer) -> Iterator[DaemonUnderTest]:
    """A daemon whose repository r1 has 6 events, all anchored by the daemon itself."""
    database = embedded_server.clone()
    daemon = new_daemon(database)
    try:
        daemon.start()
        with _runtime(daemon) as conn:
            register_repo(conn)
            append_events(conn, "r1", 6)
        _wait_anchored(daemon, "repo:r1", 6)
        yield daemon
    finally:
        discard(daemon)
        embedded_server.drop(database)


class _runtime:
    """A runtime-role connection to the daemon's database (what the daemon itself writes as)."""

    def __init__(self, daemon: DaemonUnderTest) -> None:
        assert daemon.database is not None
        self.database = daemon.database

    def __enter__(self) -> db.Conn:
        self.conn = db.connect_runtime(self.database, autocommit=True)
        return self.conn

    def __exit__(self, *_: object) -> None:
        self.conn.close()


def _as_superuser(daemon: DaemonUnderTest, *statements: str) -> None:
    assert daemon.database is not None
    conn = db.connect_admin(daemon.database, autocommit=True)
    try:
        db.execute(conn, "SET session_replication_role = replica")  # every guard off
        for statement in statements:
            db.execute(conn, statement)
    finally:
        conn.close()


def _anchored(daemon: DaemonUnderTest) -> dict[str, int]:
    heads: dict[str, int] = {}
    for line in anchor_file.read_lines(daemon.anchors_file):
        for name, head in line.heads.items():
            heads[name] = max(heads.get(name, 0), head.seq)
    return heads


def _wait_anchored(daemon: DaemonUnderTest, chain: str, seq: int) -> None:
    deadline = time.monotonic() + 20
    while _anchored(daemon).get(chain, 0) < seq:
        assert time.monotonic() < deadline, f"{chain} never anchored at {seq}: {_anchored(daemon)}"
        time.sleep(0.1)


def _doctor(daemon: DaemonUnderTest, *extra: str) -> tuple[int, dict[str, Any]]:
    result = daemon.cli("daemon", "doctor", "--json", *extra, timeout=60)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def _direct(daemon: DaemonUnderTest) -> tuple[int, dict[str, Any]]:
    assert daemon.database is not None
    return _doctor(daemon, "--database-url", daemon.database.admin_conninfo)


def _breaks(report: dict[str, Any]) -> list[tuple[str, int, str]]:
    return [(b["chain"], b["seq"], b["reason"]) for b in report["anchor_breaks"]]


def _user_doctor(daemon: DaemonUnderTest) -> tuple[int, str]:
    result = daemon.cli("doctor", timeout=60)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stdout


def test_the_daemon_anchors_every_chain_on_its_own(victim: DaemonUnderTest) -> None:
    anchored = _anchored(victim)
    assert anchored["repo:r1"] == 6 and anchored["audit"] >= 1
    with _runtime(victim) as conn:
        append_events(conn, "r1", 3, start=6)
    _wait_anchored(victim, "repo:r1", 9)
    lines = anchor_file.read_lines(victim.anchors_file)  # verifies every line and link
    assert all(line.by == f"daemon pid {victim.pid()}" for line in lines)
    assert _doctor(victim)[0] == 0
    anchoring = victim.json("daemon", "status")["anchoring"]
    assert anchoring["last_line"] >= 2 and anchoring["problems"] == {}
    assert anchoring["every_s"] == 0.3 and anchoring["every_events"] == 1000


def test_a_deleted_tail_a_truncated_audit_and_a_new_instance_id_are_caught(
    victim: DaemonUnderTest,
) -> None:
    lines_before = victim.anchors_file.read_bytes()
    _as_superuser(
        victim,
        "DELETE FROM striatumd.events WHERE repo_id = 'r1' AND seq > 3",
        "UPDATE striatumd.chain_heads SET seq = 3, row_hash = (SELECT row_hash FROM "
        "striatumd.events WHERE repo_id = 'r1' AND seq = 3) WHERE chain = 'repo:r1'",
        "TRUNCATE striatumd.audit_log",
        "UPDATE striatumd.chain_heads SET seq = 0, row_hash = repeat('0', 64) "
        "WHERE chain = 'audit'",
        "UPDATE striatumd.instance SET instance_id = gen_random_uuid()::text",
    )
    for code, report in (_doctor(victim), _direct(victim)):
        assert code == INTEGRITY, report
        breaks = _breaks(report)
        assert any(c == "database" and "instance id changed" in r for c, _, r in breaks), breaks
        assert ("repo:r1", 6) in [(c, s) for c, s, _ in breaks], breaks
        assert any(c == "audit" for c, _, _ in breaks), breaks
    code, out = _user_doctor(victim)
    assert code == INTEGRITY and "instance id changed" in out
    time.sleep(1.5)  # several anchoring ticks: the forged history is never anchored
    grown = victim.anchors_file.read_bytes()
    assert grown.startswith(lines_before)
    for line in anchor_file.parse(grown, victim.anchors_file):
        assert line.heads.get("repo:r1") is None or line.heads["repo:r1"].seq >= 6


def test_a_dropped_and_recreated_schema_is_caught(victim: DaemonUnderTest) -> None:
    _as_superuser(victim, "DROP SCHEMA striatumd CASCADE")
    victim.stop()
    victim.start()  # migrations recreate the schema: a new, empty database to the daemon
    with _runtime(victim) as conn:
        register_repo(conn)
        append_events(conn, "r1", 1)
    code, report = _doctor(victim)
    assert code == INTEGRITY, report
    assert all(c["ok"] for c in report["chains"])  # each chain alone looks fine
    reasons = {c: r for c, _, r in _breaks(report)}
    assert "instance id changed" in reasons["database"]
    assert "missing" in reasons["repo:r1"] and "seq 1" in reasons["repo:r1"]


def test_a_tail_rewritten_with_the_published_recipe_is_caught(victim: DaemonUnderTest) -> None:
    """Rows 5 and 6 replaced by others the database itself hashed and linked."""
    _as_superuser(
        victim,
        "DELETE FROM striatumd.events WHERE repo_id = 'r1' AND seq > 4",
        "UPDATE striatumd.chain_heads SET seq = 4, row_hash = (SELECT row_hash FROM "
        "striatumd.events WHERE repo_id = 'r1' AND seq = 4) WHERE chain = 'repo:r1'",
    )
    with _runtime(victim) as conn:
        append_events(conn, "r1", 4, start=100)  # a valid chain again, to seq 8
    code, report = _doctor(victim)
    assert code == INTEGRITY, report
    assert all(c["ok"] for c in report["chains"])
    assert [(c, s) for c, s, _ in _breaks(report)] == [("repo:r1", 6)]
    assert "rewritten" in _breaks(report)[0][2]
    deadline = time.monotonic() + 10
    while "not anchoring repo:r1" not in victim.log.read_text():
        assert time.monotonic() < deadline, "the daemon did not refuse to anchor the rewrite"
        time.sleep(0.1)
    assert _anchored(victim)["repo:r1"] == 6
    problems = victim.json("daemon", "status")["anchoring"]["problems"]
    assert "rewritten" in problems["repo:r1"]


def test_a_principal_accepts_a_legitimately_changed_database(victim: DaemonUnderTest) -> None:
    _as_superuser(victim, "UPDATE striatumd.instance SET instance_id = gen_random_uuid()::text")
    assert _doctor(victim)[0] == INTEGRITY
    refused = victim.cli("daemon", "accept-anchors", "--reason", "restored")
    assert refused.returncode == 6, refused.stderr  # an operator may not
    accepted = victim.cli("--as", "principal", "daemon", "accept-anchors", "--reason", "restored")
    assert accepted.returncode == 0, accepted.stderr
    code, report = _doctor(victim)
    assert code == 0, report
    last = anchor_file.read_lines(victim.anchors_file)
    accept = [line for line in last if line.kind == "accept"]
    assert len(accept) == 1 and accept[0].reason == "restored"
    assert accept[0].by.startswith("principal ")
    audit = victim.json("--as", "principal", "audit", "list")
    assert any(row["method"] == "daemon.accept-anchors" for row in audit["rows"])
    with _runtime(victim) as conn:  # and the running daemon anchors again, past the accept
        append_events(conn, "r1", 2, start=6)
    _wait_anchored(victim, "repo:r1", 8)
    assert victim.json("daemon", "status")["anchoring"]["problems"] == {}


def test_a_broken_chain_cannot_be_accepted(victim: DaemonUnderTest) -> None:
    _as_superuser(victim, "UPDATE striatumd.events SET row_hash = repeat('a', 64) WHERE seq = 2")
    refused = victim.cli("--as", "principal", "daemon", "accept-anchors", "--reason", "x")
    assert refused.returncode == INTEGRITY
    assert "repo:r1 does not hold at seq 2" in refused.stderr
    verified = victim.cli("daemon", "verify")
    assert verified.returncode == INTEGRITY  # the verdict and the exit code agree


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b"not json at all\n", "line 1: is not JSON"),
        (b"[]\n", "line 1: is not an anchor line"),
        (b'{"instances": []}\n', "line 1: is not an anchor line"),
    ],
)
def test_a_garbage_anchors_file_is_an_integrity_error_and_is_kept(
    victim: DaemonUnderTest, content: bytes, named: str
) -> None:
    victim.anchors_file.write_bytes(content)
    for code, report in (_doctor(victim), _direct(victim)):
        assert code == INTEGRITY, report
        assert any(c == "anchors file" and named in r for c, _, r in _breaks(report)), report
    time.sleep(1)  # the daemon's ticks neither replace nor extend it
    assert victim.anchors_file.read_bytes() == content
    assert "not anchoring anchors file" in victim.log.read_text()
    accepted = victim.cli("--as", "principal", "daemon", "accept-anchors", "--reason", "lost")
    assert accepted.returncode == 0, accepted.stderr
    kept = list(victim.anchors_file.parent.glob("anchors.jsonl.replaced-*"))
    assert [path.read_bytes() for path in kept] == [content]  # set aside, never deleted
    assert _doctor(victim)[0] == 0


def test_a_truncated_anchors_file_names_the_torn_line(victim: DaemonUnderTest) -> None:
    data = victim.anchors_file.read_bytes()
    count = data.count(b"\n")
    victim.stop()  # nothing appends while we cut
    victim.anchors_file.write_bytes(data[:-10])
    victim.start()
    code, report = _doctor(victim)
    assert code == INTEGRITY
    assert any(f"line {count}: the last line is incomplete" in r for _, _, r in _breaks(report))


def test_an_edited_anchor_line_is_named(victim: DaemonUnderTest) -> None:
    victim.stop()
    lines = victim.anchors_file.read_text().splitlines(keepends=True)
    lines[0] = lines[0].replace('"seq":', '"seq":1', 1)
    victim.anchors_file.write_text("".join(lines))
    code, report = _direct(victim)
    assert code == INTEGRITY
    assert any("line 1:" in r for _, _, r in _breaks(report)), report


def test_a_stale_anchors_file_still_holds_and_grows(victim: DaemonUnderTest) -> None:
    """An older copy of the file (a backup put back) anchors less, but nothing false."""
    old = victim.anchors_file.read_bytes()
    with _runtime(victim) as conn:
        append_events(conn, "r1", 2, start=6)
    _wait_anchored(victim, "repo:r1", 8)
    victim.stop()
    victim.anchors_file.write_bytes(old)
    victim.start()
    assert _doctor(victim)[0] == 0
    _wait_anchored(victim, "repo:r1", 8)  # the daemon anchors again what the copy lacks


def test_old_anchors_json_is_carried_over_and_garbage_there_is_named(
    victim: DaemonUnderTest,
) -> None:
    victim.stop()
    victim.anchors_file.unlink()
    legacy = victim.anchors_file.with_name("anchors.json")
    legacy.write_text("[]")
    code, report = _direct(victim)
    assert code == INTEGRITY
    assert any("anchors.json: not an anchors document" in r for _, _, r in _breaks(report))

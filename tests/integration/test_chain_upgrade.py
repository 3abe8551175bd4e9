"""A database written before records v2 (migrations 0001..0005), upgraded in place: its v1 rows
and the v2 rows after them verify fast and deep, export and verify as a bundle, and a tamper of
the payload or params column alone is named by the fast check."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from striatum.corpus import verify
from striatum.integrity import chain_check
from striatum.model import chain_body
from striatum.store import chains, migrations
from striatum.store import connection as db
from tests.integration.chain_helpers import (
    append_audits,
    append_events,
    append_v1_audit,
    append_v1_event,
    bundle_lines,
    register_repo,
    reseal_bundle,
    write_bundle,
)
from tests.support.servers import PgServer

STANDALONE = Path(__file__).parents[2] / "scripts" / "verify_corpus.py"
EVENTS = chains.event_chain("r1")


@pytest.fixture
def upgraded(server: PgServer) -> Iterator[db.Database]:
    """Five v1 events and audit rows written at migration 0005, then 0006, then five v2 ones."""
    database = server.empty()
    try:
        migrations.migrate(database, through=5)
        conn = db.connect_runtime(database, autocommit=True)
        register_repo(conn)
        for n in range(5):
            append_v1_event(conn, "r1", {"n": n, "note": "secret-old"}, run_id="run-1")
            append_v1_audit(conn, n)
        assert migrations.migrate(database, through=6).applied == ["0006_chain_record_v2.sql"]
        migrations.migrate(database)
        append_events(conn, "r1", 5, start=5)
        append_audits(conn, 5)
        conn.close()
        yield database
    finally:
        server.drop(database)


def _verify(database: db.Database, name: str, *, deep: bool) -> tuple[int, int | None, str]:
    with db.connect_admin(database, autocommit=True) as conn:
        report = chain_check.verify_chain(database, conn, name, deep=deep)
    problem = report.first_break
    return report.rows, problem.seq if problem else None, problem.reason if problem else ""


@pytest.mark.parametrize("deep", [False, True])
def test_v1_rows_then_v2_rows_verify_fast_and_deep(upgraded: db.Database, deep: bool) -> None:
    assert _verify(upgraded, EVENTS, deep=deep) == (10, None, "")
    assert _verify(upgraded, chains.AUDIT_CHAIN, deep=deep) == (10, None, "")


def test_the_upgrade_keeps_old_rows_v1_and_writes_new_ones_v2_with_their_host(
    upgraded: db.Database,
) -> None:
    with db.connect_admin(upgraded, autocommit=True) as conn:
        for query in (
            "SELECT host, canonical FROM striatumd.events ORDER BY seq",
            "SELECT host, canonical FROM striatumd.audit_log ORDER BY seq",
        ):
            rows = db.fetch_all(conn, query)
            found = [(row["host"], chain_body.is_v2(bytes(row["canonical"]))) for row in rows]
            assert found == [(None, False)] * 5 + [(socket.gethostname(), True)] * 5, query


@pytest.mark.parametrize(
    ("table", "column", "seq"),
    [
        ("events", "payload", 3),  # a v1 row
        ("events", "payload", 8),  # a v2 row
        ("audit_log", "params", 2),
        ("audit_log", "params", 9),
    ],
)
def test_a_tampered_body_column_alone_is_named_by_the_fast_check(
    upgraded: db.Database, table: str, column: str, seq: int
) -> None:
    with db.connect_admin(upgraded, autocommit=True) as admin:
        admin.execute(f"ALTER TABLE striatumd.{table} DISABLE TRIGGER USER")
        admin.execute(
            f"UPDATE striatumd.{table} SET {column} = {column} || '{{\"n\": 99}}' WHERE seq = %s",
            (seq,),
        )
    name = EVENTS if table == "events" else chains.AUDIT_CHAIN
    reason = f"column {column!r} differs from the hashed record"
    for deep in (False, True):
        assert _verify(upgraded, name, deep=deep)[1:] == (seq, reason)


def _standalone(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(STANDALONE), str(folder)], capture_output=True, text=True, check=False
    )


def test_an_upgraded_chain_exports_and_both_verifiers_accept_it(
    upgraded: db.Database, tmp_path: Path
) -> None:
    with db.connect_runtime(upgraded, autocommit=True) as conn:
        counts = write_bundle(conn, "r1", tmp_path / "b")
    assert counts == {"repo_pattern_1": 5}  # the v1 payloads' "secret-old"
    lines = [
        json.loads(line) for line in (tmp_path / "b" / "events.jsonl").read_text().split("\n")[:-1]
    ]
    assert [sorted(line.keys() - {"seq", "previous_hash", "row_hash"}) for line in lines] == [
        ["record", "redacted"]
    ] * 5 + [["canonical", "payload"]] * 5
    assert verify.first_failure(tmp_path / "b") is None
    assert _standalone(tmp_path / "b").returncode == 0


def test_a_v1_bundle_of_v1_lines_still_verifies(upgraded: db.Database, tmp_path: Path) -> None:
    """Bundles written before records v2 (format striatum.corpus.v1) are still read."""
    with db.connect_runtime(upgraded, autocommit=True) as conn:
        write_bundle(conn, "r1", tmp_path / "b")
    folder = tmp_path / "b"
    lines = bundle_lines(folder)[:5]  # the v1 rows (all redacted: "secret-old")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["format"] = "striatum.corpus.v1"
    manifest["counts"]["events"] = 5
    manifest["chain"].update(last_seq=5, head_hash=lines[-1]["row_hash"])
    (folder / "manifest.json").write_text(json.dumps(manifest))
    reseal_bundle(folder, lines)
    assert verify.first_failure(folder) is None
    assert _standalone(folder).returncode == 0

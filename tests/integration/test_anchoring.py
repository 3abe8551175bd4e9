"""The daemon's anchorer against a real database: when it anchors, and when it refuses to."""

from __future__ import annotations

from pathlib import Path

import pytest

from striatum.integrity import anchor_file, anchoring
from striatum.store import connection as db
from tests.integration.chain_helpers import append_events, register_repo


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STRIATUM_HOME", str(tmp_path))
    return tmp_path


def _anchored(home: Path, database: db.Database) -> dict[str, int]:
    state = anchor_file.read(home / "anchors.jsonl").anchored(database.label)
    return {} if state is None else {name: head.seq for name, head in state.heads.items()}


def test_it_anchors_after_every_events_rows_and_not_before(
    home: Path, database: db.Database, runtime: db.Conn
) -> None:
    anchorer = anchoring.Anchorer(database.label, anchoring.Cadence(every_events=5, every_s=3600))
    register_repo(runtime)
    append_events(runtime, "r1", 5)
    assert anchorer.tick(runtime) == ["repo:r1"]
    append_events(runtime, "r1", 4, start=5)
    assert anchorer.tick(runtime) == []  # 4 rows: not due
    append_events(runtime, "r1", 1, start=9)
    assert anchorer.tick(runtime) == ["repo:r1"]
    assert _anchored(home, database) == {"repo:r1": 10}
    append_events(runtime, "r1", 1, start=10)
    assert anchorer.tick(runtime, force=True) == ["repo:r1"]  # shutdown: whatever grew
    assert anchorer.tick(runtime, force=True) == []  # nothing grew


def test_it_refuses_a_rewritten_tail_and_a_new_identity(
    home: Path, database: db.Database, runtime: db.Conn, admin: db.Conn
) -> None:
    anchorer = anchoring.Anchorer(database.label, anchoring.Cadence(every_events=1))
    register_repo(runtime)
    append_events(runtime, "r1", 3)
    anchorer.tick(runtime)
    db.execute(admin, "SET session_replication_role = replica")
    db.execute(admin, "DELETE FROM striatumd.events WHERE seq = 3")
    db.execute(
        admin,
        "UPDATE striatumd.chain_heads SET seq = 2, row_hash = (SELECT row_hash FROM "
        "striatumd.events WHERE seq = 2) WHERE chain = 'repo:r1'",
    )
    append_events(runtime, "r1", 2, start=50)  # seq 3 and 4, hashed by the database itself
    assert anchorer.tick(runtime) == []
    assert "repo:r1" in anchorer.problems and "rewritten" in anchorer.problems["repo:r1"]
    assert _anchored(home, database)["repo:r1"] == 3
    db.execute(admin, "UPDATE striatumd.instance SET instance_id = 'forged'")
    append_events(runtime, "r1", 1, start=60)
    assert anchorer.tick(runtime, force=True) == []
    assert "instance id changed" in anchorer.problems["database"]


def test_a_chain_broken_before_its_first_anchor_is_never_anchored(
    home: Path, database: db.Database, runtime: db.Conn, admin: db.Conn
) -> None:
    register_repo(runtime)
    append_events(runtime, "r1", 3)
    db.execute(admin, "SET session_replication_role = replica")
    db.execute(admin, "UPDATE striatumd.events SET row_hash = repeat('b', 64) WHERE seq = 2")
    anchorer = anchoring.Anchorer(database.label, anchoring.Cadence(every_events=1))
    assert "repo:r1" not in anchorer.tick(runtime)
    assert "repo:r1" not in _anchored(home, database)
    assert "seq 2" in anchorer.problems["repo:r1"]

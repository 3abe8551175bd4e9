"""The fast check reads chains in batches: a tamper in any column it reads is still named, at
any place in a batch, and stopping at a break leaves the caller's connection usable."""

from __future__ import annotations

import pytest

from striatum.integrity import chain_check
from striatum.model import chain
from striatum.store import chain_batches, chains
from striatum.store import connection as db
from tests.integration.chain_helpers import append_audits, append_events, register_repo

ROWS = 18
SIZE = 4  # batches 1-4, 5-8, 9-12, 13-16, 17-18
GAP = "sequence gap or reorder"
BODY = "column 'payload' differs from the hashed record"


@pytest.fixture
def seeded(runtime: db.Conn, monkeypatch: pytest.MonkeyPatch) -> db.Conn:
    monkeypatch.setattr(chain_batches, "SIZE", SIZE)
    register_repo(runtime)
    append_events(runtime, "r1", ROWS)
    append_audits(runtime, ROWS)
    return runtime


def _tamper(admin: db.Conn, table: str, statement: str) -> None:
    db.execute(admin, f"ALTER TABLE striatumd.{table} DISABLE TRIGGER USER")
    db.execute(admin, statement)


def _fast_break(conn: db.Conn, name: str) -> tuple[int, str]:
    report = chain_check.verify_chain_serially(conn, name, deep=False)
    assert report.first_break is not None, report
    return report.first_break.seq, report.first_break.reason


def test_a_sound_chain_passes_in_batches(seeded: db.Conn) -> None:
    for name in ("repo:r1", "audit"):
        report = chain_check.verify_chain_serially(seeded, name, deep=False)
        assert report.ok and report.rows == ROWS


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (  # the hashed bytes, mid-batch
            "UPDATE striatumd.events SET canonical = "
            "overlay(canonical placing 'X'::bytea from 12 for 1) WHERE seq = 6",
            (6, "row_hash does not match the row's canonical bytes"),
        ),
        (  # the stored hash, first row of a batch
            "UPDATE striatumd.events SET row_hash = repeat('a', 64) WHERE seq = 9",
            (9, "row_hash does not match the row's canonical bytes"),
        ),
        (  # not hex at all (its check dropped): named, not a database error
            "ALTER TABLE striatumd.events DROP CONSTRAINT events_row_hash_check; "
            "UPDATE striatumd.events SET row_hash = 'zz' WHERE seq = 3",
            (3, "row_hash does not match the row's canonical bytes"),
        ),
        (  # the body column, last row of a batch
            "UPDATE striatumd.events SET payload = payload || '{\"n\": -1}' WHERE seq = 8",
            (8, BODY),
        ),
        (  # a number past a double's range: jsonb keeps its digits, json.loads an int
            "UPDATE striatumd.events SET payload = '{\"n\": 1e400}' WHERE seq = 5",
            (5, BODY),
        ),
        (  # ... and with a fraction, an infinity (which the quick encoder would write as null)
            'UPDATE striatumd.events SET payload = \'{"n": 1e400, "m": 0.5e400}\' WHERE seq = 7',
            (7, BODY),
        ),
        ("DELETE FROM striatumd.events WHERE seq = 8", (9, GAP)),  # a batch's last row
        ("DELETE FROM striatumd.events WHERE seq BETWEEN 5 AND 12", (13, GAP)),  # whole batches
        ("UPDATE striatumd.events SET seq = 1000000000000000 WHERE seq = 11", (12, GAP)),
        ("UPDATE striatumd.events SET seq = 1000000000000000 WHERE seq = 18", (10**15, GAP)),
    ],
)
def test_a_tamper_in_any_column_the_fast_check_reads_is_named(
    seeded: db.Conn, admin: db.Conn, statement: str, expected: tuple[int, str]
) -> None:
    """seq, row_hash, canonical and the body column, at any place in a batch; a row moved
    far away is named at once (the batches stop at the gap: they never walk up to it)."""
    _tamper(admin, "events", statement)
    assert _fast_break(seeded, "repo:r1") == expected


def test_a_tampered_audit_row_is_named_in_batches(seeded: db.Conn, admin: db.Conn) -> None:
    _tamper(admin, "audit_log", "UPDATE striatumd.audit_log SET params = '{}' WHERE seq = 14")
    assert _fast_break(seeded, "audit") == (
        14,
        "column 'params' differs from the hashed record",
    )


@pytest.mark.parametrize(
    "payload",
    [
        {"seconds": 3.0},  # jsonb gives 3.0 back, RFC 8785 writes 3
        {"big": 1e16, "huge": 1e21},  # RFC 8785: 10000000000000000 and 1e+21
        {"small": 1.5e-7, "zero": -0.0},  # RFC 8785: 1.5e-7 and 0
        {"\ue000": 1, "\U0001f600": 2},  # sorted by UTF-16 code units, not code points
        {"s": '\x01\x1f\x7f\u2028"\\/', "t": "},{"},  # escapes, and a cut in a string
    ],
)
def test_a_body_the_quick_check_cannot_prove_is_checked_exactly_and_the_walk_goes_on(
    seeded: db.Conn, admin: db.Conn, payload: dict[str, object]
) -> None:
    """A body whose numbers or keys the quick encoding writes otherwise than RFC 8785 (or
    cannot cut out of its batch): no false alarm, and a tamper further on is still named."""
    db.in_transaction(
        seeded,
        lambda c: chains.append_event(c, repo_id="r1", type="t", actor="a", payload=payload),
    )
    append_events(seeded, "r1", 5, start=ROWS + 1)
    report = chain_check.verify_chain_serially(seeded, "repo:r1", deep=False)
    assert report.ok and report.rows == ROWS + 6
    _tamper(admin, "events", "UPDATE striatumd.events SET payload = '{}' WHERE seq = 22")
    assert _fast_break(seeded, "repo:r1") == (22, BODY)


def test_stopping_at_a_break_leaves_the_callers_transaction_usable(
    database: db.Database, seeded: db.Conn, admin: db.Conn
) -> None:
    """As inside a daemon request: the walk stops at row 2 with batches still coming; the
    request's transaction goes on (to write its audit row) and commits."""
    append_events(seeded, "r1", 400, start=ROWS)
    _tamper(admin, "events", "UPDATE striatumd.events SET payload = '{}' WHERE seq = 2")
    conn = db.connect_runtime(database)
    try:
        with conn.transaction():
            report = chain_check.verify_chain_serially(conn, "repo:r1", deep=False)
            assert report.first_break is not None and report.first_break.seq == 2
            chains.append_audit(
                conn,
                request_id="after",
                method="daemon.verify",
                actor="operator",
                role="operator",
                ok=False,
                error_code=None,
                params={},
            )
    finally:
        conn.close()
    last = db.fetch_one(admin, "SELECT request_id FROM striatumd.audit_log ORDER BY seq DESC")
    assert last is not None and last["request_id"] == "after"


def test_anchoring_walks_positions_in_batches(seeded: db.Conn, admin: db.Conn) -> None:
    """verify_extension reads no body: a body column tamper is doctor's to name."""
    head = chains.read_head(seeded, "repo:r1")
    assert head is not None
    middle = chain.Head(seq=5, row_hash=str(chains.stored_hash_at(seeded, "repo:r1", 5)))
    assert chain_check.verify_extension(seeded, "repo:r1", middle, head) is None
    _tamper(admin, "events", "UPDATE striatumd.events SET payload = '{}' WHERE seq = 7")
    assert chain_check.verify_extension(seeded, "repo:r1", middle, head) is None
    _tamper(admin, "events", "DELETE FROM striatumd.events WHERE seq = 10")
    problem = chain_check.verify_extension(seeded, "repo:r1", middle, head)
    assert problem is not None and (problem.seq, problem.reason) == (11, GAP)

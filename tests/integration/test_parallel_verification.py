"""Long chains are verified in parallel ranges; the result equals the sequential walk."""

from __future__ import annotations

import os

import pytest

from striatum.integrity import chain_check
from striatum.store import chains
from striatum.store import connection as db
from tests.integration.chain_helpers import append_events, register_repo

ROWS = 40


@pytest.fixture
def long_chain(runtime: db.Conn, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(chain_check, "PARALLEL_MIN_ROWS", 10)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    register_repo(runtime)
    append_events(runtime, "r1", ROWS)
    return chains.event_chain("r1")


def test_the_fast_check_leaves_a_core_to_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    big = chain_check.PARALLEL_MIN_ROWS
    assert (chain_check.workers_for(big, deep=False), chain_check.workers_for(big, deep=True)) == (
        1,
        2,
    )
    assert chain_check.workers_for(big - 1, deep=True) == 1  # a short chain: one walk


def test_ranges_cover_the_chain_and_leave_the_last_one_open() -> None:
    assert chain_check.split(40, 3) == [(1, 14), (15, 28), (29, None)]
    assert chain_check.split(2, 3) == [(1, 1), (2, None)]


@pytest.mark.parametrize("deep", [False, True])
def test_an_intact_long_chain_verifies_in_parallel(
    database: db.Database, admin: db.Conn, long_chain: str, deep: bool
) -> None:
    report = chain_check.verify_chain(database, admin, long_chain, deep=deep)
    assert report.ok and report.rows == ROWS


@pytest.mark.parametrize(
    ("statement", "bad_seq"),
    [
        ("UPDATE striatumd.events SET canonical = canonical || ' '::bytea WHERE seq = 33", 33),
        ("DELETE FROM striatumd.events WHERE seq = 15", 16),  # first row of the second range
        ("DELETE FROM striatumd.events WHERE seq = 14", 15),  # last row of the first range
        ("UPDATE striatumd.events SET actor = 'mallory' WHERE seq = 20", 20),  # deep only
    ],
)
@pytest.mark.parametrize("deep", [False, True])
def test_a_tampered_row_in_any_range_is_named(
    database: db.Database,
    admin: db.Conn,
    long_chain: str,
    statement: str,
    bad_seq: int,
    deep: bool,
) -> None:
    db.execute(admin, "ALTER TABLE striatumd.events DISABLE TRIGGER USER")
    db.execute(admin, statement)
    report = chain_check.verify_chain(database, admin, long_chain, deep=deep)
    if "actor" in statement and not deep:
        assert report.ok  # a column change leaves hashes and links intact
        return
    assert report.first_break is not None and report.first_break.seq == bad_seq

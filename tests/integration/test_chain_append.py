"""Appending to the chains from many connections at once."""

from __future__ import annotations

import contextlib
import threading

from striatum.model import chain
from striatum.store import chains
from striatum.store import connection as db
from tests.integration.chain_helpers import append_audits, append_events, register_repo

WRITERS, PER_WRITER = 8, 125


def _race(database: db.Database, work: str, repo_id: str) -> list[BaseException]:
    failures: list[BaseException] = []

    def writer(index: int) -> None:
        conn = db.connect_runtime(database, autocommit=True)
        try:
            if work == "events":
                append_events(conn, repo_id, PER_WRITER, start=index * PER_WRITER)
            else:
                append_audits(conn, PER_WRITER)
        except BaseException as error:  # reported to the main thread below
            failures.append(error)
        finally:
            conn.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def test_eight_concurrent_writers_append_1000_events_without_a_fork(
    database: db.Database, runtime: db.Conn
) -> None:
    repo_id = register_repo(runtime)
    assert _race(database, "events", repo_id) == []
    rows = list(chains.scan_rows(runtime, chains.event_chain(repo_id)))
    assert [r.seq for r in rows] == list(range(1, WRITERS * PER_WRITER + 1))
    assert len({r.row_hash for r in rows}) == len(rows)
    payloads = sorted(r.columns["payload"]["n"] for r in rows if r.columns)
    assert payloads == list(range(WRITERS * PER_WRITER))
    report = chain.verify_rows(
        chains.event_chain(repo_id),
        rows,
        chains.read_head(runtime, chains.event_chain(repo_id)),
        deep=True,
    )
    assert report.ok, report.first_break


def test_eight_concurrent_requests_append_a_gapless_audit_chain(
    database: db.Database, runtime: db.Conn
) -> None:
    assert _race(database, "audit", "") == []
    report = chain.verify_rows(
        chains.AUDIT_CHAIN,
        chains.scan_rows(runtime, chains.AUDIT_CHAIN),
        chains.read_head(runtime, chains.AUDIT_CHAIN),
        deep=True,
    )
    assert report.ok and report.rows == WRITERS * PER_WRITER


def test_each_repository_has_its_own_chain(runtime: db.Conn) -> None:
    for repo_id in ("a", "b"):
        register_repo(runtime, repo_id)
        append_events(runtime, repo_id, 3)
    assert chains.event_chains(runtime) == ["a", "b"]
    first_a = next(chains.scan_rows(runtime, "repo:a"))
    assert first_a.previous_hash == chain.GENESIS_HASH


def test_a_rolled_back_append_leaves_no_trace(runtime: db.Conn) -> None:
    repo_id = register_repo(runtime)
    append_events(runtime, repo_id, 2)

    class Abort(Exception):
        pass

    def append_then_fail(conn: db.Conn) -> None:
        chains.append_event(conn, repo_id=repo_id, type="x", actor="a", payload={})
        raise Abort

    with contextlib.suppress(Abort):
        db.in_transaction(runtime, append_then_fail)
    append_events(runtime, repo_id, 1, start=2)
    assert [r.seq for r in chains.scan_rows(runtime, chains.event_chain(repo_id))] == [1, 2, 3]
    head = chains.read_head(runtime, chains.event_chain(repo_id))
    assert head is not None and head.seq == 3

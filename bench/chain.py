"""Chain benchmark: append rate vs raw INSERT+COMMIT, verification rate vs raw SHA-256.

Runs on one fresh embedded cluster with durable settings (fsync on), prints one JSON report:

  (a) raw single-row INSERT+COMMIT per second from 1 and 4 connections;
  (b) our event append (head lock + seal + insert + head advance, one statement) from 1 and 4
      connections, alone and inside BEGIN ... COMMIT, on one shared chain and on one chain per
      connection, with ratios to (a);
  (c) verification of 100k and 1M stored events in rows/s (fast: hashes, links and the payload
      column against the record, every hash computed in this process, never by the database;
      deep: also every column against the hashed bytes), with ratios to raw SHA-256 (hashlib,
      one digest per record, nothing else, one process) over the same stored record bytes,
      read back from the same table in the same run; the fast check's target is FAST_TARGET
      times that rate. A v2 row costs two SHA-256 digests (the record, and the payload's RFC
      8785 bytes against the record's payload_sha256). verify_workers says how many processes
      walked the chain in each mode (from chain_check.PARALLEL_MIN_ROWS rows on: deep, one per
      core; fast, one core fewer, left to the server; the calling one among them), beside the
      embedded server's own. For v2 records (what the daemon
      writes) and for v1 records (a database written before migration 0006). Each timing is
      the best of --repeat runs (deep: one), raw SHA-256 too. The machine's load average
      before and after is reported (load_average_1min): a busy machine slows the walk (and
      the server it races with) more than a tight hashing loop.

Usage: python -m bench.chain [--events 100000,1000000] [--versions 2,1] [--seconds 3]
                             [--repeat 3] [--no-appends]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from bench.scratch import migrated_cluster
from striatum import paths
from striatum.integrity import chain_check
from striatum.model import chain, chain_body
from striatum.store import chains, repositories
from striatum.store import connection as db

# The fast check's floor: a quarter of the rate of hashing the same record bytes alone.
FAST_TARGET = 0.25


def rate(workers: int, seconds: float, make_op: Callable[[int], Callable[[], None]]) -> float:
    """Operations per second of `workers` threads each running its op for `seconds`."""
    counts = [0] * workers
    stop = time.monotonic() + seconds

    def loop(index: int) -> None:
        op = make_op(index)
        while time.monotonic() < stop:
            op()
            counts[index] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(workers)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started)


def raw_insert_op(database: db.Database) -> Callable[[int], Callable[[], None]]:
    def make(index: int) -> Callable[[], None]:
        conn = db.connect_runtime(database, autocommit=True)

        def op() -> None:
            conn.execute(
                "INSERT INTO bench_raw (worker, payload) VALUES (%s, %s)", (index, Jsonb({"n": 1}))
            )

        return op

    return make


def append_op(
    database: db.Database, *, shared: bool, explicit_transaction: bool, prefix: str = "repo"
) -> Callable[[int], Callable[[], None]]:
    """One event append: alone (one statement, its own transaction, like the raw insert) or
    wrapped in BEGIN ... COMMIT as a verb's transaction wraps it."""

    def make(index: int) -> Callable[[], None]:
        conn = db.connect_runtime(database, autocommit=True)
        repo_id = "shared" if shared else f"{prefix}{index}"

        def append(c: db.Conn) -> None:
            chains.append_event(c, repo_id=repo_id, type="bench", actor="bench", payload={"n": 1})

        if explicit_transaction:
            return lambda: db.in_transaction(conn, append)
        return lambda: append(conn)

    return make


def measure_appends(database: db.Database, seconds: float) -> dict[str, Any]:
    admin = db.connect_admin(database, autocommit=True)
    admin.execute("CREATE TABLE bench_raw (id bigserial PRIMARY KEY, worker int, payload jsonb)")
    admin.execute(
        "GRANT INSERT ON bench_raw TO striatumd_runtime; "
        "GRANT USAGE ON SEQUENCE bench_raw_id_seq TO striatumd_runtime"
    )
    runtime = db.connect_runtime(database, autocommit=True)
    for repo_id in ["shared", "repo0", "repo1", "repo2", "repo3"]:
        db.in_transaction(
            runtime,
            lambda c, r=repo_id: repositories.insert(  # type: ignore[misc]
                c, repo_id=r, path=f"/bench/{r}", name=r
            ),
        )
    report: dict[str, Any] = {}
    for workers in (1, 4):
        raw = rate(workers, seconds, raw_insert_op(database))
        figures: dict[str, Any] = {"raw_insert_commit_per_s": round(raw)}
        layouts = [("one_chain", True)] + ([("chain_per_connection", False)] if workers > 1 else [])
        for layout, shared in layouts:
            for mode, explicit in (("statement", False), ("in_transaction", True)):
                ops = rate(
                    workers,
                    seconds,
                    append_op(database, shared=shared, explicit_transaction=explicit),
                )
                figures[f"append_{layout}_{mode}_per_s"] = round(ops)
                figures[f"ratio_{layout}_{mode}"] = round(ops / raw, 3)
        report[f"{workers}_connections"] = figures
    return report


def load_events(database: db.Database, repo_id: str, count: int, *, version: int = 2) -> None:
    """Seal `count` events (records v2, or v1) in Python and COPY them in (as the owner would
    restore them)."""
    previous = chain.GENESIS_HASH
    admin = psycopg.connect(database.admin_conninfo, autocommit=True)
    admin.execute(
        "INSERT INTO striatumd.repositories (repo_id, path, name) VALUES (%s, %s, %s)",
        (repo_id, f"/bench/{repo_id}", repo_id),
    )
    admin.execute(  # checked out on this host, so a verb given its path finds it
        "INSERT INTO striatumd.checkouts (repo_id, host, path) VALUES (%s, %s, %s)",
        (repo_id, paths.host_name(), f"/bench/{repo_id}"),
    )
    with (
        admin.cursor() as cursor,
        cursor.copy(
            "COPY striatumd.events (repo_id, seq, type, run_id, job_id, actor, host, payload, "
            "at, previous_hash, row_hash, canonical) FROM STDIN"
        ) as copy,
    ):
        for seq in range(1, count + 1):
            at = f"2026-11-25T12:00:00.{seq % 1000000:06d}Z"
            record = {
                "repo_id": repo_id,
                "seq": seq,
                "type": "job.succeeded",
                "run_id": "run-1",
                "job_id": f"job-{seq % 50}",
                "actor": "lane:claude",
                "payload": {"attempt": 1, "artifact": f"docs/finding-{seq}.md"},
                "at": at,
            }
            host = "bench-host" if version == 2 else None
            if version == 2:
                record = chain_body.v2_record({**record, "host": host}, "payload")
            sealed = chain.seal(record, previous)
            copy.write_row(
                (
                    repo_id,
                    seq,
                    record["type"],
                    record["run_id"],
                    record["job_id"],
                    record["actor"],
                    host,
                    Jsonb({"attempt": 1, "artifact": f"docs/finding-{seq}.md"}),
                    at,
                    previous,
                    sealed.row_hash,
                    sealed.canonical,
                )
            )
            previous = sealed.row_hash
    admin.execute(
        "INSERT INTO striatumd.chain_heads (chain, seq, row_hash) VALUES (%s, %s, %s)",
        (chains.event_chain(repo_id), count, previous),
    )
    admin.execute("VACUUM ANALYZE striatumd.events")
    # The load's own writes flushed now, not by the checkpointer while the walk is timed.
    admin.execute("CHECKPOINT")
    admin.close()


def stored_records(database: db.Database, repo_id: str) -> list[bytes]:
    """The hashed bytes of a repository's events as stored: what the verifier hashes."""
    with psycopg.connect(database.admin_conninfo, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT canonical FROM striatumd.events WHERE repo_id = %s ORDER BY seq",
            (repo_id,),
            binary=True,
        ).fetchall()
    return [bytes(row[0]) for row in rows]


def best_seconds(repeat: int, run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def raw_sha256_seconds(records: list[bytes], repeat: int) -> float:
    """Hashing alone: one SHA-256 digest per record, in a plain loop."""

    def run() -> None:
        sha256 = hashlib.sha256
        for data in records:
            sha256(data).digest()

    return best_seconds(repeat, run)


def measure_verification(
    database: db.Database, count: int, version: int, *, repeat: int = 3
) -> dict[str, Any]:
    repo_id = f"verify{count}v{version}"
    load_events(database, repo_id, count, version=version)
    load_before = os.getloadavg()[0]
    records = stored_records(database, repo_id)
    assert len(records) == count
    hash_rate = count / raw_sha256_seconds(records, repeat)
    result: dict[str, Any] = {
        "events": count,
        "record_version": version,
        "record_bytes_mean": round(sum(map(len, records)) / count),
        "raw_sha256_per_s": round(hash_rate),
        "verify_workers": {
            mode: chain_check.workers_for(count, deep=mode == "deep") for mode in ("fast", "deep")
        },
    }
    del records
    conn = db.connect_admin(database, autocommit=True)
    name = chains.event_chain(repo_id)
    for mode, deep, runs in (("fast", False, repeat), ("deep", True, 1)):
        reports: list[chain.ChainReport] = []

        def verify(deep: bool = deep, reports: list[chain.ChainReport] = reports) -> None:
            reports.append(chain_check.verify_chain(database, conn, name, deep=deep))

        elapsed = best_seconds(runs, verify)
        assert all(r.ok and r.rows == count for r in reports), reports
        result[f"verify_{mode}_per_s"] = round(count / elapsed)
        result[f"verify_{mode}_seconds"] = round(elapsed, 2)
        result[f"ratio_{mode}_to_sha256"] = round(count / elapsed / hash_rate, 3)
    conn.close()
    result["load_average_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    result["target_fast_ratio"] = FAST_TARGET
    result["fast_meets_target"] = result["ratio_fast_to_sha256"] >= FAST_TARGET
    return result


def measure(
    database: db.Database,
    events: list[int],
    seconds: float,
    *,
    versions: tuple[int, ...] = (2, 1),
    repeat: int = 3,
    appends: bool = True,
) -> dict[str, Any]:
    report: dict[str, Any] = {"benchmark": "chain", "server": "embedded PostgreSQL, fsync on"}
    if appends:
        report["append"] = measure_appends(database, seconds)
    report["verification"] = [
        measure_verification(database, n, version, repeat=repeat)
        for version in versions
        for n in events
    ]
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", default="100000,1000000")
    parser.add_argument("--versions", default="2,1", help="record versions to verify")
    parser.add_argument("--seconds", type=float, default=3.0, help="per append measurement")
    parser.add_argument("--repeat", type=int, default=3, help="fast verify and raw SHA-256 runs")
    parser.add_argument("--no-appends", action="store_true", help="verification only")
    args = parser.parse_args()
    with migrated_cluster() as (database, _):
        events = [int(n) for n in args.events.split(",")]
        versions = tuple(int(v) for v in args.versions.split(","))
        report = measure(
            database,
            events,
            args.seconds,
            versions=versions,
            repeat=args.repeat,
            appends=not args.no_appends,
        )
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

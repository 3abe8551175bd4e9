"""A work verb's lease lock (`lock_held`, SPEC §9 "What a transition costs") reads its lease,
job and session by their keys on the daemon's request connections, even when its plan, kept
for the connection's life, is made while the tables are small: its cost never grows with the
run. On a few analyzed pages a plan that reads every job of the run is the cheapest."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import psycopg

from striatum.store.pool import Pool
from striatum.store.sql import queries
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, new_repo, task_workflow

JOBS = 120


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _nodes(child))]


def _rows_read(node: dict[str, Any]) -> float:
    return float(
        (node["Actual Rows"] + node.get("Rows Removed by Filter", 0)) * node["Actual Loops"]
    )


def test_the_lease_lock_reads_one_job_of_a_long_run(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    operator = Operator(daemon=daemon, repo=new_repo(tmp_path))
    lane = {"provider": "command", "command": ["true"]}
    chain = [(f"j{n:03d}", "work", [f"j{n - 1:03d}"] if n else []) for n in range(JOBS)]
    run_id = operator.prepare(task_workflow(tmp_path, "long", {"work": lane}, chain))
    lease_id = ""
    for _ in range(3):  # a few leases ended: a run with some history
        packet = operator.claim(run_id)
        assert packet is not None
        lease_id = packet["lease"]["lease_id"]
        operator.cli("complete", "--lease", lease_id)
    assert daemon.database is not None
    with psycopg.connect(daemon.database.admin_conninfo, autocommit=True) as admin:
        admin.execute("ANALYZE striatumd.runs, striatumd.jobs, striatumd.leases")
    statement = re.sub(r"%\(lease_id\)s", "$1", queries("work")["lock_held"])
    statement = re.sub(r"%\(host\)s", "$2", statement)
    pool = Pool(daemon.database, size=1)  # a request connection, configured as the daemon's
    pool.open()
    try:
        with pool.connection() as conn:
            conn.execute(f"PREPARE held(text, text) AS {statement}")
            with conn.transaction():
                row = conn.execute(
                    f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE held('{lease_id}', 'this-host')"
                ).fetchone()
            conn.execute("DEALLOCATE held")
    finally:
        pool.close()
    assert row is not None
    explained = row["QUERY PLAN"]
    plan = (explained if isinstance(explained, list) else json.loads(explained))[0]["Plan"]
    reads = {
        name: sum(_rows_read(node) for node in _nodes(plan) if node.get("Relation Name") == name)
        for name in ("jobs", "leases", "sessions")
    }
    assert reads["jobs"] == 1, f"the lease lock read {reads} rows, of a {JOBS}-job run"
    assert reads["sessions"] == 1 and reads["leases"] <= 2  # the run's lookup reads it too
    assert plan["Actual Rows"] == 1

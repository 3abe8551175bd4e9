"""An appender killed while it holds a chain head: the server aborts it, nobody waits forever."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading

import pytest

from striatum.integrity import chain_check
from striatum.store import chains
from striatum.store import connection as db
from tests.integration.chain_helpers import append_events, register_repo
from tests.integration.test_chain_append import _race

HOLD_THE_HEAD = """
import sys, time
from striatum.store import chains, connection as db
conn = db.connect_runtime(db.Database(**__import__('json').loads(sys.argv[1])), autocommit=True)
with conn.transaction():
    chains.append_event(conn, repo_id="r1", type="doomed", actor="a", payload={})
    print("holding", flush=True)
    time.sleep(600)
"""


def test_a_killed_appender_releases_the_head_and_leaves_no_half_row(
    database: db.Database, runtime: db.Conn
) -> None:
    register_repo(runtime)
    append_events(runtime, "r1", 3)
    spec = json.dumps(
        {
            "admin_conninfo": database.admin_conninfo,
            "runtime_conninfo": database.runtime_conninfo,
            "runtime_set_role": database.runtime_set_role,
            "label": "fault",
        }
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_HEAD, spec], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    done = threading.Event()

    def append_one_more() -> None:
        append_events(runtime, "r1", 1, start=3)
        done.set()

    waiter = threading.Thread(target=append_one_more)
    waiter.start()
    assert not done.wait(0.5)  # queued behind the holder's row lock, as designed
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    holder.stdout.close()
    waiter.join(60)
    assert done.is_set()
    rows = list(chains.scan_rows(runtime, "repo:r1"))
    assert [r.seq for r in rows] == [1, 2, 3, 4]
    assert all(r.columns and r.columns["type"] != "doomed" for r in rows)
    report = chain_check.verify_chain(database, runtime, "repo:r1", deep=True)
    assert report.ok


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_ten_rounds_of_eight_racing_writers_keep_every_chain_whole(
    database: db.Database, runtime: db.Conn
) -> None:
    repo_id = register_repo(runtime)
    for _ in range(10):
        assert _race(database, "events", repo_id) == []
        assert _race(database, "audit", "") == []
    for name in (chains.AUDIT_CHAIN, chains.event_chain(repo_id)):
        report = chain_check.verify_chain(database, runtime, name, deep=True)
        assert report.ok and report.rows == 10_000, report.first_break

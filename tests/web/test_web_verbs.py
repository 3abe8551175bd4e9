"""The verbs the web UI reads through: run.graph, job.show, artifact.show, events.wait,
job.cancel, against a real daemon."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from striatum import errors
from tests.support import rpc
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, example, new_repo


@pytest.fixture
def operator(daemon: DaemonUnderTest, tmp_path: Path) -> Iterator[Operator]:
    with rpc.aimed_at(daemon):
        yield Operator(daemon=daemon, repo=new_repo(tmp_path))


def _audit_rows(daemon: DaemonUnderTest) -> int:
    rows: list[dict[str, Any]] = daemon.json("--as", "principal", "audit", "list", "--limit", "1")[
        "rows"
    ]
    return int(rows[0]["seq"])


def test_run_graph_names_edges_revision_routes_and_checkpoint_branches(operator: Operator) -> None:
    run_id = operator.prepare(example("human-checkpoint-flow"))
    graph = rpc.call("run.graph", run_id=run_id)
    assert [n["job_id"] for n in graph["nodes"]] == ["draft", "review", "decide", "publish"]
    assert {"from": "draft", "to": "review"} in graph["edges"]
    assert graph["revision_routes"] == [{"review": "review", "target": "draft", "max_revisions": 1}]
    assert {b["choice"]: b["jobs"] for b in graph["checkpoint_branches"]} == {
        "cancel": [],
        "continue": ["publish"],
    }
    assert graph["last_seq"] > 0


def test_job_show_and_artifact_show_report_provenance_and_content(operator: Operator) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    operator.drive(run_id)
    job_id = rpc.call("list.jobs", run_id=run_id)["jobs"][0]["job_id"]
    shown = rpc.call("job.show", run_id=run_id, job=job_id)
    assert shown["job"]["state"] == "succeeded"
    assert [a["state"] for a in shown["attempts"]] == ["succeeded"]
    assert shown["leases"][0]["outcome"] == "completed"
    assert shown["prompt"] is None  # no supervisor ran it: no scratch prompt file
    artifact = shown["artifacts"][0]
    detail = rpc.call("artifact.show", artifact=artifact["artifact_id"])
    assert detail["content_status"] == "ok" and detail["content"]
    assert detail["recorded_by"]["type"] == "artifact.published"
    assert detail["artifact"]["sha256"] == artifact["sha256"]
    (operator.repo / artifact["path"]).write_text("tampered")
    assert rpc.call("artifact.show", artifact=artifact["artifact_id"])["content"] is None
    with pytest.raises(errors.NotFound):
        rpc.call("job.show", run_id=run_id, job="nope")


def test_events_wait_answers_at_once_when_behind(operator: Operator) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    answer = rpc.call("events.wait", run_id=run_id, after_seq=0, timeout_s=5)
    assert [e["type"] for e in answer["events"]][:2] == ["run.prepared", "run.started"]
    assert answer["last_seq"] == answer["events"][-1]["seq"]
    assert answer["run_state"] == "running"


def test_events_wait_wakes_on_a_new_event_and_audits_once(operator: Operator) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    cursor = rpc.call("events.wait", run_id=run_id, after_seq=0, timeout_s=1)["last_seq"]
    before = _audit_rows(operator.daemon)
    timer = threading.Timer(1.0, lambda: rpc.call("run.pause", run_id=run_id))
    started = time.monotonic()
    timer.start()
    answer = rpc.call("events.wait", run_id=run_id, after_seq=cursor, timeout_s=20)
    elapsed = time.monotonic() - started
    timer.join()
    assert 0.8 < elapsed < 10, elapsed
    assert [e["type"] for e in answer["events"]] == ["run.paused"]
    # the audit list call itself, the wait, the pause: one row each
    assert _audit_rows(operator.daemon) - before == 3


def test_events_wait_times_out_empty_and_refuses_long_timeouts(operator: Operator) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    cursor = rpc.call("events.wait", run_id=run_id, after_seq=0, timeout_s=1)["last_seq"]
    started = time.monotonic()
    answer = rpc.call("events.wait", run_id=run_id, after_seq=cursor, timeout_s=1)
    assert answer["events"] == [] and 0.9 < time.monotonic() - started < 5
    with pytest.raises(errors.ValidationError):
        rpc.call("events.wait", run_id=run_id, timeout_s=31)
    anywhere = rpc.call("events.wait", after_seq=0, timeout_s=1)
    assert anywhere["last_seq"] > 0 and anywhere["events"] == []


def test_events_wait_holds_no_worker_while_waiting(operator: Operator) -> None:
    """Eight long polls at once (the daemon has four workers) leave other verbs answering."""
    run_id = operator.prepare(example("minimal-flow"))
    cursor = rpc.call("events.wait", run_id=run_id, after_seq=0, timeout_s=1)["last_seq"]
    waiters = [
        threading.Thread(
            target=rpc.call,
            args=("events.wait",),
            kwargs={"run_id": run_id, "after_seq": cursor, "timeout_s": 6},
        )
        for _ in range(8)
    ]
    for waiter in waiters:
        waiter.start()
    time.sleep(0.5)
    started = time.monotonic()
    rpc.call("status", run_id=run_id)
    assert time.monotonic() - started < 2
    for waiter in waiters:
        waiter.join()


def test_job_cancel_cancels_downstream_and_refuses_ended_jobs(operator: Operator) -> None:
    run_id = operator.prepare(example("review-flow"))
    packet = operator.claim(run_id)
    assert packet is not None
    first = packet["job"]["job_id"]
    result = rpc.call("job.cancel", run_id=run_id, job=first, reason="not needed")
    assert result["state"] == "cancelled"
    status = rpc.call("status", run_id=run_id)
    assert {j["state"] for j in status["jobs"]} == {"cancelled"}
    assert status["run"]["state"] == result["run_state"] == "cancelled"
    assert "job draft cancelled: not needed" in status["run"]["ended_reason"]
    assert status["leases"] == []
    with pytest.raises(errors.Conflict):
        rpc.call("job.cancel", run_id=run_id, job=first)


def test_cancelling_one_branch_lets_the_rest_of_the_run_go_on(operator: Operator) -> None:
    run_id = operator.prepare(example("human-checkpoint-flow"))
    operator.drive(run_id)  # stops at the checkpoint
    result = rpc.call("job.cancel", run_id=run_id, job="publish")
    assert result["run_state"] == "running"  # the checkpoint still waits
    states = {j["job_id"]: j["state"] for j in rpc.call("status", run_id=run_id)["jobs"]}
    assert states == {
        "draft": "succeeded",
        "review": "succeeded",
        "decide": "waiting",
        "publish": "cancelled",
    }


def _admin_query(operator: Operator, query: str, *params: Any) -> list[tuple[Any, ...]]:
    assert operator.daemon.database is not None
    with psycopg.connect(operator.daemon.database.admin_conninfo, autocommit=True) as conn:
        return conn.execute(query, params or None).fetchall()


def _listening(operator: Operator) -> list[str]:
    """What the daemon's connections that ever ran LISTEN or UNLISTEN ran last."""
    rows = _admin_query(
        operator,
        "SELECT query FROM pg_stat_activity WHERE datname = current_database()"
        " AND application_name = 'striatumd' AND query LIKE '%LISTEN %'",
    )
    return [row[0] for row in rows]


def _wait_woken_by_a_pause(run_id: str, cursor: int) -> tuple[list[str], float]:
    """A long poll after `cursor`, and a pause of the run a second into it: the events the
    poll answered with and how long it took."""
    timer = threading.Timer(1.0, lambda: rpc.call("run.pause", run_id=run_id))
    started = time.monotonic()
    timer.start()
    answer = rpc.call("events.wait", run_id=run_id, after_seq=cursor, timeout_s=20)
    elapsed = time.monotonic() - started
    timer.join()
    return [e["type"] for e in answer["events"]], elapsed


def test_the_listener_comes_back_after_its_connection_is_killed(operator: Operator) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    # A first long poll makes the daemon listen (it does only while someone waits).
    cursor = rpc.call("events.wait", run_id=run_id, after_seq=0, timeout_s=1)["last_seq"]
    deadline = time.monotonic() + 10
    while _listening(operator) != ["LISTEN striatum_events"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _listening(operator) == ["LISTEN striatum_events"]
    killed = _admin_query(
        operator,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND query = 'LISTEN striatum_events'",
    )
    assert len(killed) == 1
    time.sleep(1.0)  # the listener reconnects with a short backoff
    types, elapsed = _wait_woken_by_a_pause(run_id, cursor)
    assert types == ["run.paused"] and elapsed < 10, elapsed


def test_the_daemon_listens_only_once_someone_waits_and_wakes_the_first_waiter(
    operator: Operator,
) -> None:
    """Nobody waits: no LISTEN, so commits wake no listener. The first long poll, made while
    nobody listens, still wakes on the next event. (The gap between its first look and the
    LISTEN is held to order in tests/unit/test_listener_demand.py.)"""
    run_id = operator.prepare(example("minimal-flow"))
    assert _listening(operator) == []
    [(cursor,)] = _admin_query(
        operator, "SELECT max(seq) FROM striatumd.events WHERE run_id = %s", run_id
    )
    types, elapsed = _wait_woken_by_a_pause(run_id, cursor)
    assert types == ["run.paused"]
    assert 0.8 < elapsed < 10, elapsed
    assert _listening(operator) == ["LISTEN striatum_events"]

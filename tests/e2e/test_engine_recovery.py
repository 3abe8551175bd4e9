"""Leases that expire, runs cancelled mid-job, racing sessions, refused artifacts, lane tokens."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from striatum import errors
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, example, new_repo


@pytest.fixture
def operator(daemon: DaemonUnderTest, tmp_path: Path) -> Operator:
    return Operator(daemon=daemon, repo=new_repo(tmp_path))


def test_a_lease_that_expires_is_recovered_as_a_new_attempt(operator: Operator) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    packet = operator.claim(run_id, "--ttl-s", "1")
    assert packet is not None and packet["job"]["attempt"] == 1
    time.sleep(1.3)  # the holder goes silent past its lease
    late = operator.daemon.cli("heartbeat", "--lease", packet["lease"]["lease_id"])
    assert late.returncode == 5 and "expired" in late.stderr
    swept = operator.cli("recovery", "sweep")
    # The daemon's own timed sweep may have come first; then this one finds nothing left.
    assert [r["job_id"] for r in swept["recovered"]] in (["draft"], [])
    why = operator.cli("why", packet["lease"]["lease_id"])
    assert any(e["payload"].get("outcome") == "expired" for e in why["events"])
    status = operator.drive(run_id)
    assert status["run"]["state"] == "succeeded"
    assert status["jobs"][0]["attempt"] == 2


def test_the_daemon_sweeps_by_itself(operator: Operator) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    packet = operator.claim(run_id, "--ttl-s", "1")
    assert packet is not None
    deadline = time.monotonic() + 30  # STRIATUM_SWEEP_INTERVAL_S is 5 by default
    while time.monotonic() < deadline:
        if operator.cli("status", "--run-id", run_id)["jobs"][0]["state"] == "ready":
            return
        time.sleep(0.5)
    raise AssertionError("the daemon's sweep never recovered the expired lease")


def test_attempts_are_bounded_then_the_human_decides(operator: Operator) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    for _ in range(3):  # the scripted lanes allow 3 attempts
        packet = operator.claim(run_id)
        assert packet is not None
        operator.cli("fail", "--lease", packet["lease"]["lease_id"], "--reason", "boom")
    status = operator.cli("status", "--run-id", run_id)
    assert status["run"]["state"] == "running" and status["jobs"][0]["state"] == "failed"
    (blocker,) = status["open_blockers"]
    assert blocker["reason_kind"] == "attempts_exhausted"
    operator.cli(
        "escalation",
        "resolve",
        "--blocker",
        blocker["blocker_id"],
        "--outcome",
        "fail",
        principal=True,
    )
    assert operator.cli("status", "--run-id", run_id)["run"]["state"] == "failed"


def test_a_run_cancelled_mid_job_cancels_the_lease(operator: Operator) -> None:
    run_id = operator.prepare(example("review-flow"))
    packet = operator.claim(run_id)
    assert packet is not None
    operator.cli("run", "cancel", "--run-id", run_id, "--reason", "changed my mind")
    status = operator.cli("status", "--run-id", run_id)
    assert status["run"]["state"] == "cancelled"
    assert set(j["state"] for j in status["jobs"]) == {"cancelled"}
    late = operator.daemon.cli("complete", "--lease", packet["lease"]["lease_id"])
    assert late.returncode == 5 and "has ended (cancelled)" in late.stderr


def test_completing_without_required_artifacts_names_them(operator: Operator) -> None:
    run_id = operator.prepare(example("review-flow"))
    packet = operator.claim(run_id)
    assert packet is not None
    refused = operator.daemon.cli("complete", "--lease", packet["lease"]["lease_id"])
    assert refused.returncode == 3
    assert packet["expected_artifacts"][0]["path"] in refused.stderr


@pytest.mark.parametrize(
    ("make", "fragment", "code"),
    [
        ("outside", "outside the job's write scope", 3),
        ("symlink", "leads outside the repository", 3),
        ("git", "points into .git/", 3),
        ("missing", "does not exist", 4),
        ("dotdot", "contains '..'", 3),
    ],
)
def test_publishing_refuses_unsafe_or_missing_paths(
    operator: Operator, tmp_path: Path, make: str, fragment: str, code: int
) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    packet = operator.claim(run_id)
    assert packet is not None
    scope = operator.repo / "docs" / "striatum"
    scope.mkdir(parents=True)
    paths = {
        "outside": "README.md",
        "symlink": "docs/striatum/leak.md",
        "git": ".git/config",
        "missing": "docs/striatum/none.md",
        "dotdot": "docs/striatum/../../etc.md",
    }
    (operator.repo / "README.md").write_text("x")
    secret = tmp_path / "secret.md"
    secret.write_text("secret")
    os.symlink(secret, scope / "leak.md")
    result = operator.daemon.cli(
        "publish-artifact", "--lease", packet["lease"]["lease_id"], "--path", paths[make]
    )
    assert result.returncode == code and fragment in result.stderr, result.stderr


def test_a_lane_token_acts_only_on_its_own_live_lease(operator: Operator) -> None:
    run_id = operator.prepare(example("rfc-ledger-cleanup"))
    first = operator.claim(run_id)
    assert first is not None
    operator.do_work(first)
    operator.daemon.cli(
        "--repo",
        str(operator.repo),
        "complete",
        "--lease",
        first["lease"]["lease_id"],
        token=first["token"],
    )
    reviews = [operator.claim(run_id) for _ in range(2)]
    one, two = reviews
    assert one is not None and two is not None
    own = operator.daemon.cli("heartbeat", "--lease", one["lease"]["lease_id"], token=one["token"])
    assert own.returncode == 0, own.stderr
    other = operator.daemon.cli(
        "heartbeat", "--lease", two["lease"]["lease_id"], token=one["token"]
    )
    assert other.returncode == 6
    drive = operator.daemon.cli("run", "cancel", "--run-id", run_id, token=one["token"])
    assert drive.returncode == 6  # a lane cannot drive runs
    reused = operator.daemon.cli("whoami", token=first["token"])
    assert reused.returncode == 14  # its lease ended, its token with it


def test_two_sessions_racing_for_200_jobs_never_share_one(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    from tests.support.rpc import aimed_at, call

    repo = new_repo(tmp_path)
    workflow = tmp_path / "wide" / "workflow.json"
    workflow.parent.mkdir()
    jobs = [
        {"id": f"j{n:03d}", "kind": "task", "lane": "work", "artifacts": []} for n in range(200)
    ]
    workflow.write_text(
        json.dumps(
            {
                "schema_version": "striatum.workflow.v1",
                "id": "wide",
                "name": "Wide",
                "lanes": {
                    "work": {"provider": "command", "command": ["true"], "max_concurrency": 64}
                },
                "jobs": jobs,
            }
        )
    )
    claimed: dict[str, list[str]] = {"a": [], "b": []}
    failures: list[BaseException] = []

    def worker(name: str, session: str, run_id: str) -> None:
        try:
            while True:
                packet = call("claim-next", session=session, run_id=run_id)
                if not packet["claimed"]:
                    return
                claimed[name].append(packet["job"]["job_id"])
                call("complete", lease=packet["lease"]["lease_id"])
        except BaseException as error:  # reported below
            failures.append(error)

    with aimed_at(daemon):
        call("adopt", repo=str(repo))
        run_id = call("run.prepare", workflow=str(workflow), repo=str(repo))["run_id"]
        call("run.start", run_id=run_id)
        sessions = {n: call("register-session", role="operator")["session_id"] for n in claimed}
        threads = [threading.Thread(target=worker, args=(n, sessions[n], run_id)) for n in claimed]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        status = call("status", run_id=run_id)
    assert failures == []
    every = claimed["a"] + claimed["b"]
    assert sorted(every) == [j["id"] for j in jobs]  # each job exactly once
    assert claimed["a"] and claimed["b"]  # both sessions really raced
    assert status["run"]["state"] == "succeeded"


def test_unknown_ids_are_not_found_naming_them(operator: Operator) -> None:
    for args in (
        ("status", "--run-id", "run_nope"),
        ("why", "lease_nope"),
        ("complete", "--lease", "lease_nope"),
    ):
        result = operator.daemon.cli(*args)
        assert result.returncode == 4 and "nope" in result.stderr, args


def test_why_shows_whether_a_review_was_cross_provider(operator: Operator) -> None:
    run_id = operator.prepare(example("review-flow"))
    operator.drive(run_id)
    verdicts: list[dict[str, Any]] = operator.cli("list", "verdicts", "--run-id", run_id)[
        "verdicts"
    ]
    why = operator.cli("why", verdicts[0]["verdict_id"])
    assert why["verdict"]["cross_provider"] is True
    assert why["verdict"]["reviewer_model"] == "scripted-reviewer1"
    assert why["verdict"]["author_model"] == "scripted-author"
    assert errors.EXIT_CODES["not_found"] == 4


def test_a_lease_changes_hands_without_a_new_attempt(operator: Operator) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    packet = operator.claim(run_id)
    assert packet is not None
    fresh = operator.cli("register-session", "--role", "operator")["session_id"]
    moved = operator.cli(
        "lease", "transfer", "--lease", packet["lease"]["lease_id"], "--session", fresh
    )
    assert moved["attempt"] == 1 and moved["session_id"] == fresh
    old_token = operator.daemon.cli(
        "heartbeat", "--lease", packet["lease"]["lease_id"], token=packet["token"]
    )
    assert old_token.returncode == 14  # the old holder's lane token was revoked
    operator.do_work(packet)
    done = operator.daemon.cli(
        "complete", "--lease", packet["lease"]["lease_id"], token=moved["token"]
    )
    assert done.returncode == 0, done.stderr
    status = operator.cli("status", "--run-id", run_id)
    assert status["run"]["state"] == "succeeded" and status["jobs"][0]["attempt"] == 1


def test_a_paused_run_hands_out_no_work_until_resumed(operator: Operator) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    operator.cli("run", "pause", "--run-id", run_id)
    assert operator.claim(run_id) is None
    assert operator.cli("status", "--run-id", run_id)["next_actions"] == [
        f"striatum run resume --run-id {run_id}"
    ]
    operator.cli("run", "resume", "--run-id", run_id)
    assert operator.drive(run_id)["run"]["state"] == "succeeded"

"""`park`: an attempt stopped by a rate or usage limit ends as parked, spends no attempt, and
its job is claimed again only from its time on (SPEC §9, parking)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, new_repo, task_workflow


@pytest.fixture
def operator(daemon: DaemonUnderTest, tmp_path: Path) -> Operator:
    return Operator(daemon=daemon, repo=new_repo(tmp_path))


def _prepared(operator: Operator, tmp_path: Path) -> str:
    lane = {"provider": "command", "command": ["true"], "max_attempts": 1, "park_backoff_s": 1}
    jobs: list[tuple[str, str, list[str]]] = [("a", "one", []), ("b", "one", [])]
    return operator.prepare(task_workflow(tmp_path, "parking", {"one": lane}, jobs))


def test_a_parked_job_waits_its_time_then_runs_without_spending_an_attempt(
    operator: Operator, tmp_path: Path
) -> None:
    run_id = _prepared(operator, tmp_path)
    first = operator.claim_job(run_id, "a")
    # The agent itself parks its attempt, with its lane token (max_attempts is 1: a failure
    # here would fail the job).
    parked = operator.daemon.cli(
        "park",
        "--lease",
        first["lease"]["lease_id"],
        "--reason",
        "usage limit reached",
        "--after-s",
        "2",
        "--json",
        token=first["token"],
    )
    assert parked.returncode == 0, parked.stderr
    status = operator.cli("status", run_id)
    job_a = next(j for j in status["jobs"] if j["job_id"] == "a")
    assert job_a["state"] == "ready" and job_a["parked_until"]
    assert status["run"]["state"] == "running"
    # Claims skip it meanwhile, by name or not; the other job is claimed.
    assert operator.claim(run_id, "--job", "a") is None
    other = operator.claim(run_id)
    assert other is not None and other["job"]["job_id"] == "b"
    operator.cli("complete", "--lease", other["lease"]["lease_id"])
    assert operator.claim(run_id) is None
    # Text status says so.
    shown = operator.daemon.cli("--repo", str(operator.repo), "status", run_id)
    assert "parked" in shown.stdout and "rate or usage limit" in shown.stdout, shown.stdout

    deadline = time.monotonic() + 10
    again = None
    while again is None and time.monotonic() < deadline:
        time.sleep(0.2)
        again = operator.claim(run_id)
    assert again is not None and again["job"]["job_id"] == "a"
    assert again["job"]["attempt"] == 2
    # Its parked attempt is not a failure: the one attempt allowed is still there.
    operator.cli("park", "--lease", again["lease"]["lease_id"], "--reason", "again")  # backoff 1 s
    deadline = time.monotonic() + 10
    third = None
    while third is None and time.monotonic() < deadline:
        time.sleep(0.2)
        third = operator.claim(run_id)
    assert third is not None and third["job"]["attempt"] == 3
    done = operator.cli("complete", "--lease", third["lease"]["lease_id"])
    assert done["run_state"] == "succeeded"

    events = operator.cli("why", run_id, "a")["events"]
    ended = [e["payload"]["outcome"] for e in events if e["type"] == "lease.ended"]
    assert ended == ["parked", "parked", "completed"]
    parks = [
        e["payload"]
        for e in events
        if e["type"] == "job.ready" and e["payload"].get("parked_until")
    ]
    assert len(parks) == 2 and parks[0]["reason"] == "parked: usage limit reached"


def test_bad_park_requests_are_refused_and_change_nothing(
    operator: Operator, tmp_path: Path
) -> None:
    run_id = _prepared(operator, tmp_path)
    lease = operator.claim_job(run_id, "a")["lease"]["lease_id"]
    cases = [
        (("--until", "2030-01-01T00:00:00"), "time zone"),
        (("--until", "tomorrow"), "--until must be a time"),
        (("--until", "2030-01-01T00:00:00Z"), "more than 7 days"),
        (("--after-s", "604801"), "--after-s must be from 0"),
        (("--after-s", "5", "--until", "2030-01-01T00:00:00Z"), "not both"),
    ]
    for extra, message in cases:
        result = operator.daemon.cli(
            "--repo", str(operator.repo), "park", "--lease", lease, "--reason", "x", *extra
        )
        assert result.returncode == 3, (extra, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr, result.stderr
    status = operator.cli("status", run_id)
    assert {j["job_id"]: j["state"] for j in status["jobs"]}["a"] == "leased"
    assert not any(j.get("parked_until") for j in status["jobs"])


def test_a_job_parked_as_often_as_its_lane_allows_fails_and_asks_the_human(
    operator: Operator, tmp_path: Path
) -> None:
    lane = {"provider": "command", "command": ["true"], "max_attempts": 1, "max_parks": 2}
    workflow = task_workflow(tmp_path, "parking", {"one": lane}, [("a", "one", [])])
    run_id = operator.prepare(workflow)

    def park(*extra: str) -> dict[str, Any]:
        packet = operator.claim_job(run_id, "a")
        parked: dict[str, Any] = operator.cli(
            "park", "--lease", packet["lease"]["lease_id"], "--reason", "429", *extra
        )
        return parked

    first = park("--after-s", "30")
    # Claimed by name meanwhile: the answer says when it is claimable.
    answer = operator.cli("claim-next", "--session", operator.session, "--run-id", run_id,
                          "--job", "a")  # fmt: skip
    assert not answer["claimed"]
    assert (
        f"a is parked by a rate or usage limit until {first['parked_until']}" in (answer["reason"])
    )
    # An agent that parks itself with no wait, again and again, is stopped at the lane's bound.
    (tmp_path / "again").mkdir()
    run_id = operator.prepare(
        task_workflow(tmp_path / "again", "parking", {"one": lane}, [("a", "one", [])])
    )
    assert park("--after-s", "0")["state"] == "ready"
    assert park("--after-s", "0")["state"] == "ready"
    third = park("--after-s", "0")
    assert third["state"] == "failed" and third["parked_until"] is None
    assert third["reason"] == "parked 2 times in a row (its lane allows 2); then: 429"
    status = operator.cli("status", run_id)
    (blocker,) = status["open_blockers"]
    assert blocker["reason_kind"] == "parked_too_often"
    # The human retries it once the limit lifted: the failed attempt ended the streak, and
    # max_attempts 1 is spent only by that one failure, so one more park is allowed.
    operator.cli("escalation", "resolve", "--blocker", blocker["blocker_id"], "--outcome",
                 "retry", "--note", "quota raised", principal=True)  # fmt: skip
    assert park("--after-s", "0")["state"] == "ready"
    events = operator.cli("why", run_id, "a")["events"]
    ended = [e["payload"]["outcome"] for e in events if e["type"] == "lease.ended"]
    assert ended == ["parked", "parked", "failed", "parked"]

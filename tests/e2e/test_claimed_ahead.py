"""A quick lane keeps one job claimed ahead (`lanes/supervisor.py`, `Reserve`): started the
moment its slot frees, never a second agent at once, given back when it cannot start."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_supervisor import background_supervisor, status, supervise
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, new_repo
from tests.support.waiting import wait_until


@pytest.fixture
def operator(daemon: DaemonUnderTest, tmp_path: Path) -> Operator:
    return Operator(daemon=daemon, repo=new_repo(tmp_path))


def _run(operator: Operator, tmp_path: Path, script: str, jobs: int) -> str:
    """`jobs` independent tasks on one lane of concurrency 1 whose agent runs `script`
    unsandboxed (it keeps a lock folder on the host)."""
    lane = {"provider": "command", "command": ["sh", "-c", script], "sandbox": "none"}
    document = {
        "schema_version": "striatum.workflow.v1",
        "id": "ahead",
        "name": "Ahead",
        "lanes": {"solo": {**lane, "max_concurrency": 1}},
        "jobs": [{"id": f"j{n}", "kind": "task", "lane": "solo"} for n in range(jobs)],
    }
    workflow = tmp_path / "ahead.json"
    workflow.write_text(json.dumps(document))
    return operator.prepare(workflow)


def _most_live_leases(events: list[dict[str, Any]]) -> int:
    """The most leases of the run that were live at once, replaying its events in order."""
    live: set[str] = set()
    most = 0
    for event in sorted(events, key=lambda e: e["seq"]):
        lease = event["payload"].get("lease_id")
        if event["type"] == "job.leased":
            live.add(lease)
            most = max(most, len(live))
        elif event["type"] == "lease.ended":
            live.discard(lease)
    return most


def _leased(operator: Operator, run_id: str) -> set[str]:
    jobs: list[dict[str, Any]] = status(operator, run_id)["jobs"]
    return {j["job_id"] for j in jobs if j["state"] == "leased"}


def _one_at_a_time(lock: Path, then: str = "") -> str:
    """An agent that fails (exit 7) if another holds the lock: two at once would show."""
    return f'mkdir "{lock}" || exit 7; sleep 0.05; {then} rmdir "{lock}"'


def test_a_quick_lane_claims_one_job_ahead_and_never_runs_two_agents(
    operator: Operator, tmp_path: Path
) -> None:
    run_id = _run(operator, tmp_path, _one_at_a_time(tmp_path / "lock"), jobs=12)
    result = supervise(operator, run_id)
    assert result.returncode == 0, result.stderr
    final = status(operator, run_id)
    assert final["run"]["state"] == "succeeded"
    assert {job["attempt"] for job in final["jobs"]} == {1}  # none failed, none given back
    events = operator.cli("why", run_id)["events"]
    assert _most_live_leases(events) == 2  # one running, one claimed ahead: never more


def test_a_slow_lane_claims_nothing_ahead(operator: Operator, tmp_path: Path) -> None:
    slow = _one_at_a_time(tmp_path / "lock", then="sleep 1.1;")  # longer than QUICK_S
    run_id = _run(operator, tmp_path, slow, jobs=3)
    result = supervise(operator, run_id)
    assert result.returncode == 0, result.stderr
    events = operator.cli("why", run_id)["events"]
    assert _most_live_leases(events) == 1


def test_a_job_claimed_ahead_is_given_back_when_the_supervisor_stops(
    operator: Operator, tmp_path: Path
) -> None:
    # j0..j2 are quick; j3 waits (the lane stays quick meanwhile), so the next is claimed ahead.
    script = _one_at_a_time(tmp_path / "lock", then='[ "$STRIATUM_JOB_ID" = j3 ] && sleep 60;')
    run_id = _run(operator, tmp_path, script, jobs=6)

    with background_supervisor(operator, run_id) as process:
        # j4 is claimed only once j3 is: j3 runs, j4 waits ahead of it.
        wait_until(
            lambda: _leased(operator, run_id) == {"j3", "j4"},
            "nothing claimed ahead of j3",
            timeout=60,
        )
        ahead = "j4"
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    after = status(operator, run_id)
    assert not after["leases"] and not after["open_blockers"]
    states = {j["job_id"]: j["state"] for j in after["jobs"]}
    assert states[ahead] == "ready" and states["j3"] == "ready"
    ended = [
        e
        for e in operator.cli("why", ahead, "--run-id", run_id)["events"]
        if e["type"] == "lease.ended"
    ]
    assert [e["payload"]["outcome"] for e in ended] == ["released"]  # not failed, not expired


def test_a_job_claimed_ahead_is_given_back_when_the_run_pauses(
    operator: Operator, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    wait = f'[ "$STRIATUM_JOB_ID" = j3 ] && while [ ! -e "{gate}" ]; do sleep 0.05; done;'
    run_id = _run(operator, tmp_path, _one_at_a_time(tmp_path / "lock", then=wait), jobs=6)

    with background_supervisor(operator, run_id) as process:
        # j4 is claimed only once j3 is: j3 runs, j4 waits ahead of it.
        wait_until(
            lambda: _leased(operator, run_id) == {"j3", "j4"},
            "nothing claimed ahead of j3",
            timeout=60,
        )
        ahead = "j4"
        operator.cli("run", "pause", "--run-id", run_id)
        wait_until(
            lambda: _leased(operator, run_id) == {"j3"}, "the job ahead was kept in a paused run"
        )
        operator.cli("run", "resume", "--run-id", run_id)
        gate.touch()
        assert process.wait(60) == 0
    final = status(operator, run_id)
    assert final["run"]["state"] == "succeeded"
    attempts = {j["job_id"]: j["attempt"] for j in final["jobs"]}
    assert attempts[ahead] == 2  # the first, given back, counted against nothing
    assert not final["open_blockers"]


def test_a_job_claimed_ahead_whose_job_is_cancelled_never_starts(
    operator: Operator, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    wait = f'[ "$STRIATUM_JOB_ID" = j3 ] && while [ ! -e "{gate}" ]; do sleep 0.05; done;'
    ran = tmp_path / "ran"  # each agent leaves its job's name here
    script = f'echo "$STRIATUM_JOB_ID" >> "{ran}"; ' + _one_at_a_time(tmp_path / "lock", wait)
    run_id = _run(operator, tmp_path, script, jobs=6)
    log = tmp_path / "supervisor.log"
    with log.open("w") as sink, background_supervisor(operator, run_id, stderr=sink.fileno()):
        wait_until(lambda: _leased(operator, run_id) == {"j3", "j4"}, "nothing claimed ahead")
        operator.cli("job", "cancel", "--run-id", run_id, "--job", "j4", principal=True)
        wait_until(
            lambda: "j4: its lease ended before its start" in log.read_text(),
            "the supervisor kept a job ahead whose lease had ended",
        )
        gate.touch()
        wait_until(lambda: not _leased(operator, run_id), "the run never settled")
    assert "j4" not in ran.read_text().split()
    assert status(operator, run_id)["jobs"][4]["state"] == "cancelled"

"""The six example shapes driven to their end by a scripted operator, and their variants."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, example, new_repo, task_workflow


@pytest.fixture
def operator(daemon: DaemonUnderTest, tmp_path: Path) -> Operator:
    return Operator(daemon=daemon, repo=new_repo(tmp_path))


def _states(status: dict[str, Any]) -> dict[str, str]:
    return {j["job_id"]: j["state"] for j in status["jobs"]}


def _doctor_ok(operator: Operator) -> None:
    report = operator.daemon.json("daemon", "doctor")
    assert report["ok"], report


@pytest.mark.parametrize(
    ("name", "choices"),
    [
        ("minimal-flow", {}),
        ("review-flow", {}),
        ("support-ledger-flow", {}),
        ("rfc-ledger-cleanup", {}),
        ("human-checkpoint-flow", {"decide": "continue"}),
    ],
)
def test_each_example_runs_to_success(
    operator: Operator, name: str, choices: dict[str, str]
) -> None:
    operator.choices = choices
    run_id = operator.prepare(example(name))
    status = operator.drive(run_id)
    assert status["run"]["state"] == "succeeded", status
    assert set(_states(status).values()) == {"succeeded"}
    artifacts = operator.cli("list", "artifacts", "--run-id", run_id)["artifacts"]
    assert all(len(a["sha256"]) == 64 for a in artifacts) and artifacts
    assert all((operator.repo / a["path"]).is_file() for a in artifacts)
    _doctor_ok(operator)


def test_a_revision_loop_runs_once_then_accepts(operator: Operator) -> None:
    operator.plan = {"code-review": "needs_revision,accept"}
    run_id = operator.prepare(example("code-change-flow"))
    status = operator.drive(run_id)
    assert status["run"]["state"] == "succeeded"
    jobs = {j["job_id"]: j for j in status["jobs"]}
    assert jobs["change"]["attempt"] == 2 and jobs["code-review"]["revisions"] == 1
    revision_packets = [c for c in operator.claims if c["revision"]]
    assert [c["job"]["job_id"] for c in revision_packets] == ["change"]
    assert "Scripted finding" in revision_packets[0]["revision"]["findings"]["text"]
    assert "## Revision requested by code-review" in revision_packets[0]["prompt"]
    verdicts = operator.cli("list", "verdicts", "--run-id", run_id)["verdicts"]
    assert [v["value"] for v in verdicts] == ["needs_revision", "accept"]
    assert all(v["cross_provider"] for v in verdicts)
    paths = {a["path"] for a in operator.cli("list", "artifacts", "--run-id", run_id)["artifacts"]}
    assert any("/change/attempt-1/" in p for p in paths)
    assert any("/change/attempt-2/" in p for p in paths)  # nothing overwritten
    _doctor_ok(operator)


def test_a_loop_that_hits_its_bound_escalates_and_the_human_accepts(operator: Operator) -> None:
    operator.plan = {"code-review": "needs_revision"}
    run_id = operator.prepare(example("code-change-flow"))
    status = operator.drive(run_id)
    assert status["run"]["state"] == "running"
    (blocker,) = status["open_blockers"]
    assert blocker["reason_kind"] == "revision_bound"
    inbox = operator.cli("inbox")
    assert inbox["count"] == 1
    denied = operator.daemon.cli(
        "--repo",
        str(operator.repo),
        "escalation",
        "resolve",
        "--blocker",
        blocker["blocker_id"],
        "--outcome",
        "accept",
    )
    assert denied.returncode == 6  # the operator cannot resolve escalations
    operator.cli(
        "escalation",
        "resolve",
        "--blocker",
        blocker["blocker_id"],
        "--outcome",
        "accept",
        "--note",
        "good enough",
        principal=True,
    )
    status = operator.drive(run_id)
    assert status["run"]["state"] == "succeeded"
    assert {j["job_id"]: j["attempt"] for j in status["jobs"]}["change"] == 3


def test_a_bound_with_fail_fails_the_run(operator: Operator) -> None:
    operator.plan = {"review": "needs_revision"}
    run_id = operator.prepare(example("review-flow"))
    status = operator.drive(run_id)
    assert status["run"]["state"] == "failed"
    assert _states(status)["review"] == "failed" and _states(status)["synthesis"] == "cancelled"


def test_a_reject_fails_the_gate(operator: Operator) -> None:
    operator.plan = {"review": "reject"}
    run_id = operator.prepare(example("review-flow"))
    status = operator.drive(run_id)
    assert status["run"]["state"] == "failed"
    assert _states(status)["draft"] == "succeeded" and _states(status)["review"] == "failed"
    _doctor_ok(operator)


def test_a_checkpoint_cancelled_ends_the_run_cleanly(operator: Operator) -> None:
    operator.choices = {"decide": "cancel"}
    run_id = operator.prepare(example("human-checkpoint-flow"))
    status = operator.drive(run_id)
    assert status["run"]["state"] == "cancelled"
    assert _states(status)["publish"] == "cancelled"
    assert _states(status)["decide"] == "succeeded"
    assert status["next_actions"][0].startswith("nothing: the run cancelled")


def test_agents_can_never_decide_a_checkpoint(operator: Operator) -> None:
    run_id = operator.prepare(example("human-checkpoint-flow"))
    status = operator.drive(run_id)
    (blocker,) = status["open_blockers"]
    assert blocker["kind"] == "checkpoint"
    assert "checkpoint decide" in status["next_actions"][0]
    assert operator.claim(run_id) is None  # never claimable
    denied = operator.daemon.cli(
        "--repo",
        str(operator.repo),
        "checkpoint",
        "decide",
        "--blocker",
        blocker["blocker_id"],
        "--choice",
        "continue",
    )
    assert denied.returncode == 6


def test_the_notification_hook_hears_a_checkpoint_and_the_end(
    operator: Operator, tmp_path: Path
) -> None:
    import time

    inbox = tmp_path / "notices"
    inbox.mkdir()
    denied = operator.daemon.cli("--repo", str(operator.repo), "adopt", "--notify", "true")
    assert denied.returncode == 6  # the hook runs commands: only the principal sets it
    operator.cli("adopt", "--notify", f"cat > {inbox}/$(date +%s%N).json", principal=True)
    operator.choices = {"decide": "continue"}
    run_id = operator.prepare(example("human-checkpoint-flow"))
    operator.drive(run_id)
    deadline = time.monotonic() + 10
    kinds: list[str] = []
    while time.monotonic() < deadline and sorted(kinds) != ["checkpoint", "run_ended"]:
        kinds = [
            json.loads(p.read_text())["kind"] for p in inbox.glob("*.json") if p.stat().st_size
        ]
        time.sleep(0.1)
    assert sorted(kinds) == ["checkpoint", "run_ended"]


def test_the_dashboard_shows_jobs_blockers_and_next_actions(operator: Operator) -> None:
    run_id = operator.prepare(example("human-checkpoint-flow"))
    operator.drive(run_id)
    result = operator.daemon.cli("dashboard", "--run-id", run_id, "--once")
    assert result.returncode == 0, result.stderr
    assert f"run {run_id}" in result.stdout and "RUNNING" in result.stdout
    assert "! checkpoint" in result.stdout and "checkpoint decide" in result.stdout
    assert "+ draft" in result.stdout and "? decide" in result.stdout


def test_a_transition_answers_the_jobs_it_made_ready(operator: Operator, tmp_path: Path) -> None:
    """`complete`, `fail` and `release` answer `ready`: what a supervisor claims next without
    reading the run (SPEC §9, "What a transition costs")."""
    lane = {"provider": "command", "command": ["true"], "max_concurrency": 4, "max_attempts": 3}
    jobs = [
        ("a", "work", []),
        ("b", "work", ["a"]),
        ("c", "work", ["a"]),
        ("d", "work", ["b", "c"]),
    ]
    workflow = task_workflow(tmp_path, "ready-answers", {"work": lane}, jobs)
    run_id = operator.prepare(workflow)

    def lease(job: str) -> str:
        packet = operator.claim(run_id, "--job", job)
        assert packet is not None
        lease_id: str = packet["lease"]["lease_id"]
        return lease_id

    done = operator.cli("complete", "--lease", lease("a"))
    assert sorted(job["job_id"] for job in done["ready"]) == ["b", "c"]
    assert all(job["lane"] == "work" and job["write_scope"] for job in done["ready"])
    failed = operator.cli("fail", "--lease", lease("b"), "--reason", "try again")
    assert [job["job_id"] for job in failed["ready"]] == ["b"]  # a retry is ready again
    released = operator.cli("release", "--lease", lease("c"))
    assert [job["job_id"] for job in released["ready"]] == ["c"]
    operator.cli("complete", "--lease", lease("b"))
    last = operator.cli("complete", "--lease", lease("c"))
    assert [job["job_id"] for job in last["ready"]] == ["d"]


def test_status_of_moving_jobs_shows_only_the_ready_and_leased(
    operator: Operator, tmp_path: Path
) -> None:
    """`status --jobs moving`: what a supervisor claims and watches, read without the rest of
    the run (0010's index), with the run, leases, blockers and chain head as ever."""
    lane = {"provider": "command", "command": ["true"], "max_concurrency": 4}
    jobs = [("a", "work", []), ("b", "work", []), ("c", "work", []), ("d", "work", ["a", "b", "c"])]
    workflow = task_workflow(tmp_path, "moving", {"work": lane}, jobs)
    run_id = operator.prepare(workflow)
    first = operator.claim(run_id, "--job", "a")
    assert first is not None
    operator.cli("complete", "--lease", first["lease"]["lease_id"])
    operator.claim(run_id, "--job", "b")
    whole = operator.cli("status", "--run-id", run_id)
    moving = operator.cli("status", "--run-id", run_id, "--jobs", "moving")
    assert whole["jobs_shown"] == "all" and moving["jobs_shown"] == "moving"
    assert [(j["job_id"], j["state"]) for j in whole["jobs"]] == [
        ("a", "succeeded"),
        ("b", "leased"),
        ("c", "ready"),
        ("d", "pending"),
    ]
    # The same rows, less what the run used (summed only for a whole read).
    assert moving["jobs"] == [
        {k: v for k, v in j.items() if k != "usage"}
        for j in whole["jobs"]
        if j["state"] in ("ready", "leased")
    ]
    for key in ("run", "open_blockers", "chain_head", "next_actions", "lanes"):
        assert moving[key] == whole[key], key
    assert [lease["lease_id"] for lease in moving["leases"]] == [
        lease["lease_id"] for lease in whole["leases"]
    ]
    human = operator.daemon.cli(
        "--repo", str(operator.repo), "status", run_id, "--jobs", "moving", env={"COLUMNS": "80"}
    )
    assert human.returncode == 0, human.stderr
    assert "ready and leased jobs (2: 1 leased, 1 ready)" in human.stdout
    too_wide = [line for line in human.stdout.splitlines() if len(line) > 80]
    assert [line for line in too_wide if str(operator.repo) not in line] == []  # a path stays whole
    refused = operator.daemon.cli("status", "--jobs", "moving", "--json")
    assert refused.returncode == 3 and "--jobs moving needs a run" in refused.stderr

"""`run retry`: a failed or cancelled run revived from a job, its history kept."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.daemons import DaemonUnderTest
from tests.support.operator import EXAMPLES, Operator, example, new_repo


@pytest.fixture
def operator(daemon: DaemonUnderTest, tmp_path: Path) -> Operator:
    return Operator(daemon=daemon, repo=new_repo(tmp_path))


def _states(status: dict[str, Any]) -> dict[str, str]:
    return {j["job_id"]: j["state"] for j in status["jobs"]}


def _retried_events(operator: Operator, run_id: str) -> list[dict[str, Any]]:
    events = operator.cli("why", run_id)["events"]
    return [e for e in events if e["type"] == "run.retried"]


def _doctor_ok(operator: Operator) -> None:
    report = operator.daemon.json("daemon", "doctor")
    assert report["ok"], report


def _rejected_run(operator: Operator) -> str:
    operator.plan = {"review": "reject"}
    run_id = operator.prepare(example("review-flow"))
    assert operator.drive(run_id)["run"]["state"] == "failed"
    return run_id


def test_a_rejected_run_retried_from_its_author_runs_again_and_keeps_its_history(
    operator: Operator,
) -> None:
    run_id = _rejected_run(operator)
    operator.plan = {"review": "reject,accept"}  # the review's second attempt accepts
    answer = operator.cli("run", "retry", "--run-id", run_id, "--from", "draft", principal=True)
    assert answer["state"] == "running" and answer["from_jobs"] == ["draft"]
    assert answer["reset"] == ["draft", "review", "synthesis"]
    assert answer["ready"] == ["draft"] and answer["supervise"] is False
    status = operator.drive(run_id)
    assert status["run"]["state"] == "succeeded", status
    attempts = {j["job_id"]: j["attempt"] for j in status["jobs"]}
    assert attempts == {"draft": 2, "review": 2, "synthesis": 1}
    verdicts = operator.cli("list", "verdicts", "--run-id", run_id)["verdicts"]
    assert [v["value"] for v in verdicts] == ["reject", "accept"]  # the reject is kept
    draft_again = [c for c in operator.claims if c["job"]["job_id"] == "draft"][-1]
    assert draft_again["revision"]["value"] == "reject"  # the author hears what was rejected
    (retried,) = _retried_events(operator, run_id)
    assert retried["actor"].startswith("principal:")
    assert (
        retried["payload"]["from_jobs"] == ["draft"] and retried["payload"]["previous"] == "failed"
    )
    paths = {a["path"] for a in operator.cli("list", "artifacts", "--run-id", run_id)["artifacts"]}
    assert any("/draft/attempt-1/" in p for p in paths) and any(
        "/draft/attempt-2/" in p for p in paths
    )
    _doctor_ok(operator)


def test_without_from_a_retry_starts_where_the_run_stopped(operator: Operator) -> None:
    run_id = _rejected_run(operator)
    hinted = operator.cli("status", "--run-id", run_id)["next_actions"]
    assert f"striatum --as principal run retry --run-id {run_id}  (or --from JOB)" in hinted
    operator.plan = {"review": "reject,accept"}
    answer = operator.cli("run", "retry", "--run-id", run_id, principal=True)
    assert answer["from_jobs"] == ["review"] and answer["reset"] == ["review", "synthesis"]
    status = operator.drive(run_id)
    assert status["run"]["state"] == "succeeded"
    assert {j["job_id"]: j["attempt"] for j in status["jobs"]}["draft"] == 1  # not run again


def test_an_exhausted_revision_bound_gets_a_fresh_budget(operator: Operator) -> None:
    operator.plan = {"review": "needs_revision"}
    run_id = operator.prepare(example("review-flow"))
    status = operator.drive(run_id)
    assert status["run"]["state"] == "failed" and _states(status)["review"] == "failed"
    operator.plan = {"review": "needs_revision,needs_revision,needs_revision,accept"}
    answer = operator.cli("run", "retry", "--run-id", run_id, "--from", "draft", principal=True)
    assert answer["fresh_revision_budgets"] == {"review": 1}
    status = operator.drive(run_id)
    # a fresh budget of one revision: the third review asks again, the fourth accepts
    assert status["run"]["state"] == "succeeded", status
    jobs = {j["job_id"]: j for j in status["jobs"]}
    assert jobs["draft"]["attempt"] == 4 and jobs["review"]["attempt"] == 4
    verdicts = operator.cli("list", "verdicts", "--run-id", run_id)["verdicts"]
    assert [v["value"] for v in verdicts] == ["needs_revision"] * 3 + ["accept"]
    (retried,) = _retried_events(operator, run_id)
    assert retried["payload"]["fresh_revision_budgets"] == {"review": 1}
    _doctor_ok(operator)


def test_a_cancelled_run_is_retried_and_its_attempts_count_on(operator: Operator) -> None:
    run_id = operator.prepare(example("review-flow"))
    packet = operator.claim(run_id)
    assert packet is not None
    operator.cli("run", "cancel", "--run-id", run_id, "--reason", "not now")
    answer = operator.cli("run", "retry", "--run-id", run_id, principal=True)
    assert answer["from_jobs"] == ["draft"] and answer["ready"] == ["draft"]
    status = operator.drive(run_id)
    assert status["run"]["state"] == "succeeded"
    assert {j["job_id"]: j["attempt"] for j in status["jobs"]}["draft"] == 2


@pytest.mark.parametrize(
    ("setup", "args", "code", "fragment"),
    [
        ("succeeded", (), 5, "only a failed or cancelled run is retried"),
        ("running", (), 5, "is running"),
        ("rejected", ("--from", "nope"), 4, "has no job 'nope'"),
        ("rejected", ("--from", "synthesis"), 5, "was never reached"),
    ],
)
def test_retry_refuses_clearly(
    operator: Operator, setup: str, args: tuple[str, ...], code: int, fragment: str
) -> None:
    if setup == "rejected":
        run_id = _rejected_run(operator)
    else:
        run_id = operator.prepare(example("minimal-flow"))
        if setup == "succeeded":
            assert operator.drive(run_id)["run"]["state"] == "succeeded"
    before = operator.cli("status", "--run-id", run_id)
    refused = operator.daemon.cli(
        "--repo", str(operator.repo), "--as", "principal", "run", "retry", "--run-id", run_id, *args
    )
    assert refused.returncode == code, refused.stderr
    assert fragment in refused.stderr and run_id in refused.stderr
    assert operator.cli("status", "--run-id", run_id)["jobs"] == before["jobs"]  # untouched


def test_only_the_principal_retries(operator: Operator) -> None:
    run_id = _rejected_run(operator)
    denied = operator.daemon.cli("--repo", str(operator.repo), "run", "retry", "--run-id", run_id)
    assert denied.returncode == 6 and "decide" in denied.stderr
    assert operator.cli("status", "--run-id", run_id)["run"]["state"] == "failed"


def test_requeue_is_an_alias_of_retry_from_a_job(operator: Operator) -> None:
    run_id = _rejected_run(operator)
    answer = operator.cli(
        "recovery", "requeue", "--run-id", run_id, "--job", "review", principal=True
    )
    assert answer["from_jobs"] == ["review"] and answer["state"] == "running"


def _wait_for(operator: Operator, run_id: str, state: str) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while True:
        status: dict[str, Any] = operator.cli("status", "--run-id", run_id)
        if status["run"]["state"] == state:
            return status
        assert status["run"]["state"] in ("running", state), status["run"]
        assert time.monotonic() < deadline, f"run {run_id} never became {state}: {status}"
        time.sleep(0.3)


def test_a_supervised_run_retried_gets_a_supervisor_again_and_cleans_up_after(
    operator: Operator, tmp_path: Path
) -> None:
    """The whole lifecycle with real agents: a supervised run rejected, retried (a supervisor
    is launched again, as after `run start`), succeeded, landed, then its worktree, branch
    and scratch cleaned away."""
    examples = tmp_path / "examples"
    shutil.copytree(EXAMPLES, examples)
    plan = examples / "review-flow" / "scripted-plan.json"
    plan.write_text(json.dumps({"verdicts": {"review": "reject"}}))
    (operator.repo / "README.md").write_text("hello\n")
    git = ["git", "-C", str(operator.repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "add", "README.md"], check=True)
    subprocess.run([*git, "commit", "-qm", "start"], check=True)
    operator.cli("adopt")
    workflow = examples / "review-flow" / "workflow.json"
    run_id = operator.cli("run", "prepare", "--workflow", str(workflow))["run_id"]
    started = operator.daemon.cli("--repo", str(operator.repo), "run", "start", "--run-id", run_id)
    assert started.returncode == 0, started.stderr
    _wait_for(operator, run_id, "failed")
    plan.write_text(json.dumps({"verdicts": {"review": "reject,accept"}}))
    deadline = time.monotonic() + 60
    while True:
        retried = operator.daemon.cli(
            "--repo", str(operator.repo), "--as", "principal", "run", "retry", run_id
        )
        if retried.returncode == 0:
            break
        # Refused (exit 5) while the run's supervisor is still on its way out.
        assert retried.returncode == 5, retried.stderr
        assert "already has a supervisor" in retried.stderr, retried.stderr
        assert time.monotonic() < deadline, retried.stderr
        time.sleep(0.2)
    assert "supervisor started" in retried.stderr
    status = _wait_for(operator, run_id, "succeeded")
    assert {j["job_id"]: j["attempt"] for j in status["jobs"]}["review"] == 2
    operator.cli("run", "land", "--run-id", run_id, principal=True)
    worktree = next((Path(operator.daemon.env["STRIATUM_HOME"]) / "worktrees").glob(f"*/{run_id}"))
    assert worktree.is_dir() and (operator.repo / ".striatum" / "runs" / run_id).is_dir()
    deadline = time.monotonic() + 60
    while True:  # the run's supervisor may still be on its way out: skipped till it left
        answer = operator.cli("run", "clean", "--finished", "--yes", principal=True)
        if answer["runs"]:
            break
        assert "already has a supervisor" in answer["skipped"][0]["why"], answer
        assert time.monotonic() < deadline, answer
        time.sleep(0.2)
    cleaned = answer["runs"]
    assert [r["run_id"] for r in cleaned] == [run_id] and cleaned[0]["kept"] == []
    assert not worktree.exists() and not (operator.repo / ".striatum" / "runs" / run_id).exists()
    branches = subprocess.run(
        [*git, "branch", "--list", f"striatum/{run_id}"], capture_output=True, text=True, check=True
    )
    assert branches.stdout.strip() == ""
    _doctor_ok(operator)


def test_a_run_a_checkpoint_cancelled_is_retried_from_that_checkpoint(operator: Operator) -> None:
    """A retry that would only end the run again (past a `cancel` that still stands) is
    refused and changes nothing; from where it stopped, the checkpoint asks again."""
    operator.choices = {"decide": "cancel"}
    run_id = operator.prepare(example("human-checkpoint-flow"))
    assert operator.drive(run_id)["run"]["state"] == "cancelled"
    refused = operator.daemon.cli(
        "--repo", str(operator.repo), "--as", "principal", "run", "retry", "--run-id", run_id,
        "--from", "publish",
    )  # fmt: skip
    assert refused.returncode == 5 and "ends it again at once" in refused.stderr
    assert operator.cli("status", "--run-id", run_id)["run"]["state"] == "cancelled"
    assert _retried_events(operator, run_id) == []  # rolled back, event and all
    answer = operator.cli("run", "retry", "--run-id", run_id, principal=True)
    assert answer["from_jobs"] == ["decide", "publish"]
    status = operator.cli("status", "--run-id", run_id)
    (asked,) = status["open_blockers"]
    assert asked["kind"] == "checkpoint" and asked["job_id"] == "decide"
    operator.choices = {"decide": "continue"}
    assert operator.drive(run_id)["run"]["state"] == "succeeded"
    _doctor_ok(operator)

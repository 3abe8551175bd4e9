"""Budgets (SPEC §9, budgets): the usage report that reaches a run's budget pauses it with a
`budget` blocker; nothing new is claimed; only the principal lifts it by raising the budget."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from striatum.store import connection as db
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, new_repo, task_workflow


@pytest.fixture
def operator(daemon: DaemonUnderTest, tmp_path: Path) -> Operator:
    return Operator(daemon=daemon, repo=new_repo(tmp_path))


def _run(operator: Operator, tmp_path: Path, *budget: str, declared: Any = None) -> str:
    lane = {"provider": "command", "command": ["true"], "max_concurrency": 4}
    jobs: list[tuple[str, str, list[str]]] = [("a", "one", []), ("b", "one", []), ("c", "one", [])]
    workflow = task_workflow(tmp_path, "budget", {"one": lane}, jobs)
    if declared is not None:
        document = json.loads(workflow.read_text())
        document["budget"] = declared
        workflow.write_text(json.dumps(document))
    operator.cli("adopt")
    run_id: str = operator.cli("run", "prepare", "--workflow", str(workflow), *budget)["run_id"]
    operator.cli("run", "start", "--run-id", run_id, "--no-supervise")
    operator.session = operator.cli("register-session", "--role", "operator")["session_id"]
    return run_id


def _spend(operator: Operator, lease: str, usd: float) -> dict[str, Any]:
    result: dict[str, Any] = operator.cli(
        "complete", "--lease", lease, "--usage", json.dumps({"cost_usd": usd, "output_tokens": 10})
    )
    return result


def test_a_run_pauses_at_its_budget_and_only_the_principal_resumes_it(
    operator: Operator, tmp_path: Path
) -> None:
    run_id = _run(operator, tmp_path, "--budget-usd", "0.50")
    first, second = operator.claim(run_id), operator.claim(run_id)
    assert first is not None and second is not None
    assert _spend(operator, first["lease"]["lease_id"], 0.30)["run_state"] == "running"
    # This report reaches the budget: the run pauses; the attempt itself is recorded.
    assert _spend(operator, second["lease"]["lease_id"], 0.25)["run_state"] == "paused"
    status = operator.cli("status", run_id)
    assert status["budget"] == {
        "budget_usd": 0.5,
        "budget_tokens": None,
        "hard": False,
        "spent_usd": pytest.approx(0.55),
        "spent_tokens": 20,
        "reached": True,
    }
    (blocker,) = status["open_blockers"]
    assert blocker["kind"] == "budget" and "$0.55 of its $0.50 budget" in blocker["reason"]
    assert "run budget" in status["next_actions"][0]
    assert operator.claim(run_id) is None  # nothing new starts
    # An operator cannot resume it, nor change the budget: it is the principal's decision.
    resumed = operator.daemon.cli("--repo", str(operator.repo), "run", "resume", run_id)
    assert resumed.returncode == 5 and "paused by its budget" in resumed.stderr, resumed.stderr
    raised = operator.daemon.cli(
        "--repo", str(operator.repo), "run", "budget", "--run-id", run_id, "--usd", "5"
    )
    assert raised.returncode == 6, raised.stderr  # permission denied
    # Raised too little: still paused; enough: running again, the blocker resolved.
    low = operator.cli("run", "budget", "--run-id", run_id, "--usd", "0.55", principal=True)
    assert (low["state"], low["resumed"]) == ("paused", False)
    high = operator.cli("run", "budget", "--run-id", run_id, "--usd", "2", principal=True)
    assert (high["state"], high["resumed"]) == ("running", True)
    assert operator.cli("status", run_id)["open_blockers"] == []
    third = operator.claim(run_id)
    assert third is not None
    assert _spend(operator, third["lease"]["lease_id"], 0.1)["run_state"] == "succeeded"
    types = [e["type"] for e in operator.cli("why", run_id)["events"]]
    assert types.count("run.budget_reached") == 1 and types.count("run.budget_changed") == 2
    shown = operator.daemon.cli("--repo", str(operator.repo), "status", run_id)
    assert "$0.65 of $2.00 spent" in " ".join(shown.stdout.split())


def test_the_workflow_budget_in_tokens_applies_and_prepare_overrides_it(
    operator: Operator, tmp_path: Path
) -> None:
    run_id = _run(operator, tmp_path, declared={"tokens": 15})
    claimed = operator.claim(run_id)
    assert claimed is not None
    assert _spend(operator, claimed["lease"]["lease_id"], 0.01)["run_state"] == "running"
    claimed = operator.claim(run_id)
    assert claimed is not None
    assert _spend(operator, claimed["lease"]["lease_id"], 0.01)["run_state"] == "paused"
    assert operator.cli("status", run_id)["budget"]["spent_tokens"] == 20

    (tmp_path / "other").mkdir()
    other = _run(operator, tmp_path / "other", "--budget-tokens", "1000", declared={"tokens": 15})
    assert operator.cli("status", other)["budget"]["budget_tokens"] == 1000


def test_bad_budgets_are_refused_before_anything_is_made(
    operator: Operator, tmp_path: Path
) -> None:
    lane = {"provider": "command", "command": ["true"]}
    workflow = task_workflow(tmp_path, "budget", {"one": lane}, [("a", "one", [])])
    operator.cli("adopt")
    for flag, value, message in [
        ("--budget-usd", "lots", "--budget-usd must be dollars"),
        ("--budget-usd", "-1", "--budget-usd must be dollars"),
        ("--budget-tokens", "0", "--budget-tokens must be from 1"),
    ]:
        result = operator.daemon.cli(
            "--repo", str(operator.repo), "run", "prepare", "--workflow", str(workflow), flag, value
        )
        assert result.returncode == 3 and message in result.stderr, result.stderr
    document = json.loads(workflow.read_text())
    document["budget"] = {}
    workflow.write_text(json.dumps(document))
    result = operator.daemon.cli("workflow", "validate", str(workflow))
    assert result.returncode == 3
    assert "$.budget: a budget needs usd, tokens or both" in result.stderr
    assert operator.cli("list", "runs")["runs"] == []


def test_a_run_paused_by_hand_that_reaches_its_budget_cannot_be_resumed_past_it(
    operator: Operator, tmp_path: Path
) -> None:
    run_id = _run(operator, tmp_path, "--budget-usd", "0.10")
    claimed = operator.claim(run_id)
    assert claimed is not None
    operator.cli("run", "pause", "--run-id", run_id)
    operator.cli("report-usage", "--lease", claimed["lease"]["lease_id"], "--cost-usd", "0.2")
    operator.cli("report-usage", "--lease", claimed["lease"]["lease_id"], "--cost-usd", "0.1")
    (blocker,) = operator.cli("status", run_id)["open_blockers"]  # one, not one per report
    assert blocker["kind"] == "budget"
    resumed = operator.daemon.cli("--repo", str(operator.repo), "run", "resume", run_id)
    assert resumed.returncode == 5 and "paused by its budget" in resumed.stderr


def test_the_principal_hears_of_a_reached_budget_once(operator: Operator, tmp_path: Path) -> None:
    import time

    inbox = tmp_path / "notices"
    inbox.mkdir()
    operator.cli("adopt", "--notify", f"cat > {inbox}/$(date +%s%N).json", principal=True)
    run_id = _run(operator, tmp_path, "--budget-usd", "0.10")
    claimed = operator.claim(run_id)
    assert claimed is not None
    for _ in range(2):  # the second report finds the run already waiting: no second notice
        operator.cli("report-usage", "--lease", claimed["lease"]["lease_id"], "--cost-usd", "0.2")
    deadline = time.monotonic() + 10
    notices: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not notices:
        notices = [json.loads(p.read_text()) for p in inbox.glob("*") if p.stat().st_size]
        time.sleep(0.1)
    time.sleep(0.5)  # a second notice, were there one, would have come by now
    notices = [json.loads(p.read_text()) for p in inbox.glob("*") if p.stat().st_size]
    assert [n["kind"] for n in notices] == ["budget"]
    assert notices[0]["run_id"] == run_id and "$0.20 of its $0.10 budget" in notices[0]["reason"]


def test_bad_budget_changes_are_refused_by_name_and_change_nothing(
    operator: Operator, tmp_path: Path
) -> None:
    run_id = _run(operator, tmp_path, "--budget-usd", "1")
    for args, code, message in [
        ((), 3, "give --usd, --tokens or --hard"),
        (("--usd", "cheap"), 3, "--usd must be dollars"),
        (("--usd", "0"), 3, "--usd must be dollars"),
        (("--tokens", "-5"), 3, "--tokens must be from 0"),
        (("--usd", "none", "--hard", "yes"), 3, "--hard yes needs a budget to reach"),
        (("--hard", "maybe"), 2, "'maybe' is not one of 'yes', 'no'"),
    ]:
        result = _budget_call(operator, run_id, *args)
        assert result.returncode == code and message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert operator.cli("status", run_id)["budget"]["budget_usd"] == 1.0
    operator.cli("run", "cancel", "--run-id", run_id)
    ended = _budget_call(operator, run_id, "--usd", "5")
    assert ended.returncode == 5 and "already ended" in ended.stderr, ended.stderr


def _budget_call(operator: Operator, run_id: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`run budget` as the principal, its exit code and stderr kept (not asserted)."""
    return operator.daemon.cli(
        "--repo", str(operator.repo), "--as", "principal", "run", "budget", "--run-id", run_id,
        *args,
    )  # fmt: skip


def _lanes_run(operator: Operator, tmp_path: Path, lanes: dict[str, Any], *flags: str) -> str:
    jobs: list[tuple[str, str, list[str]]] = [
        (name, lane, []) for name, lane in (("a", "one"), ("b", "one"), ("c", "two"))
    ]
    workflow = task_workflow(tmp_path, "lanes", lanes, jobs)
    operator.cli("adopt")
    run_id: str = operator.cli("run", "prepare", "--workflow", str(workflow), *flags)["run_id"]
    operator.cli("run", "start", "--run-id", run_id, "--no-supervise")
    operator.session = operator.cli("register-session", "--role", "operator")["session_id"]
    return run_id


def _principal(operator: Operator, run_id: str, *args: str) -> dict[str, Any]:
    result: dict[str, Any] = operator.cli(
        "run", "budget", "--run-id", run_id, *args, principal=True
    )
    return result


def test_a_lane_budget_pauses_the_run_until_the_principal_raises_that_lane(
    operator: Operator, tmp_path: Path
) -> None:
    lane = {"provider": "command", "command": ["true"], "max_concurrency": 4}
    lanes = {"one": {**lane, "budget": {"usd": 0.2}}, "two": {**lane, "model": "other"}}
    run_id = _lanes_run(operator, tmp_path, lanes)
    (declared,) = operator.cli("status", run_id)["lane_budgets"]
    assert declared == {
        "lane": "one",
        "budget_usd": 0.2,
        "budget_tokens": None,
        "hard": False,
        "spent_usd": 0,
        "spent_tokens": 0,
        "reached": False,
    }
    other = operator.claim_job(run_id, "c")
    assert _spend(operator, other["lease"]["lease_id"], 0.5)["run_state"] == "running"
    first = operator.claim_job(run_id, "a")
    assert _spend(operator, first["lease"]["lease_id"], 0.25)["run_state"] == "paused"
    status = operator.cli("status", run_id)
    (blocker,) = status["open_blockers"]
    assert blocker["reason"] == "lane one spent $0.25 of its $0.20 budget"
    assert status["next_actions"][0].startswith(
        f"striatum --as principal run budget --run-id {run_id} --lane one --usd AMOUNT"
    )
    assert status["budget"]["spent_usd"] == pytest.approx(0.75)  # the run's counts all lanes
    # Raising the run's budget does not lift a lane's; an unknown lane is refused by name.
    run_wide = _principal(operator, run_id, "--usd", "10")
    assert run_wide["state"] == "paused"
    assert run_wide["still_reached"] == ["lane one spent $0.25 of its $0.20 budget"]
    unknown = _budget_call(operator, run_id, "--lane", "nope", "--usd", "1")
    assert unknown.returncode == 3 and "has no lane 'nope' (its lanes: one, two)" in unknown.stderr
    raised = _principal(operator, run_id, "--lane", "one", "--usd", "1")
    assert (raised["state"], raised["resumed"], raised["lane"]) == ("running", True, "one")
    # A lane given a budget later starts from what its jobs reported: below it, paused at once.
    late = _principal(operator, run_id, "--lane", "two", "--tokens", "5")
    assert late["state"] == "paused" and late["spent_tokens"] == 10
    (blocker,) = operator.cli("status", run_id)["open_blockers"]
    assert blocker["reason"] == "lane two spent 10 of its 5 tokens"
    shown = operator.daemon.cli("--repo", str(operator.repo), "status", run_id)
    assert "budget two" in shown.stdout and "10 of 5 tokens spent" in shown.stdout
    types = [e["type"] for e in operator.cli("why", run_id)["events"]]
    assert types.count("run.budget_reached") == 2 and types.count("run.budget_changed") == 3
    assert operator.cli("why", run_id)["events"][0]["payload"]["budgets"][0]["lane"] == "one"


def test_a_lane_budget_needs_an_amount(operator: Operator, tmp_path: Path) -> None:
    lane = {"provider": "command", "command": ["true"], "budget": {"hard": True}}
    workflow = task_workflow(tmp_path, "budget", {"one": lane}, [("a", "one", [])])
    result = operator.daemon.cli("workflow", "validate", str(workflow))
    assert result.returncode == 3
    assert "$.lanes.one.budget: a budget needs usd, tokens or both" in result.stderr


def test_a_hard_budget_stops_running_attempts_without_spending_them(
    operator: Operator, tmp_path: Path
) -> None:
    lane = {"provider": "command", "command": ["true"], "max_concurrency": 4, "max_attempts": 1}
    lanes = {"one": lane, "two": {**lane, "model": "other"}}
    operator.cli("adopt")
    refused = operator.daemon.cli(
        "--repo", str(operator.repo), "run", "prepare", "--workflow",
        str(task_workflow(tmp_path, "hard", lanes, [("a", "one", [])])), "--budget-hard",
    )  # fmt: skip
    assert refused.returncode == 3 and "--budget-hard needs a budget" in refused.stderr
    (tmp_path / "run").mkdir()
    run_id = _lanes_run(operator, tmp_path / "run", lanes, "--budget-usd", "0.5", "--budget-hard")
    a, b, c = (operator.claim_job(run_id, job) for job in "abc")
    # The completion that reaches it is recorded; the attempts still running are stopped.
    assert _spend(operator, a["lease"]["lease_id"], 0.6)["run_state"] == "paused"
    status = operator.cli("status", run_id)
    assert status["budget"]["hard"] is True and status["leases"] == []
    states = {job["job_id"]: job["state"] for job in status["jobs"]}
    assert states == {"a": "succeeded", "b": "ready", "c": "ready"}
    (blocker,) = status["open_blockers"]
    assert "(hard: running attempts stopped)" in blocker["reason"]
    beat = operator.daemon.cli("heartbeat", "--lease", b["lease"]["lease_id"], token=b["token"])
    assert beat.returncode != 0  # the agent's next call is refused: its lease ended
    ended = [
        e["payload"]
        for e in operator.cli("why", run_id, "b")["events"]
        if e["type"] == "lease.ended"
    ]
    assert [(e["outcome"], e["reason"][:23]) for e in ended] == [
        ("cancelled", "stopped: the run spent ")
    ]
    # Raised: the stopped jobs run again, max_attempts 1 not spent. A report mid-attempt that
    # reaches the budget stops its own attempt too.
    _principal(operator, run_id, "--usd", "1")
    b, c = operator.claim_job(run_id, "b"), operator.claim_job(run_id, "c")
    assert b["job"]["attempt"] == 2
    operator.cli("report-usage", "--lease", b["lease"]["lease_id"], "--cost-usd", "0.5")
    status = operator.cli("status", run_id)
    assert status["run"]["state"] == "paused" and status["leases"] == []
    beat = operator.daemon.cli("heartbeat", "--lease", c["lease"]["lease_id"], token=c["token"])
    assert beat.returncode != 0
    _principal(operator, run_id, "--usd", "none", "--hard", "no")
    for job in "bc":
        claimed = operator.claim_job(run_id, job)
        operator.cli("complete", "--lease", claimed["lease"]["lease_id"])
    assert operator.cli("status", run_id)["run"]["state"] == "succeeded"


def test_a_superuser_who_rewrites_spend_or_budget_is_caught_by_the_doctor(
    operator: Operator, tmp_path: Path
) -> None:
    lane = {"provider": "command", "command": ["true"], "budget": {"tokens": 1000}}
    workflow = task_workflow(
        tmp_path, "ledger", {"one": lane}, [("a", "one", []), ("b", "one", [])]
    )
    operator.cli("adopt")
    run_id = operator.cli("run", "prepare", "--workflow", str(workflow), "--budget-usd", "0.5")[
        "run_id"
    ]
    operator.cli("run", "start", "--run-id", run_id, "--no-supervise")
    operator.session = operator.cli("register-session", "--role", "operator")["session_id"]
    _spend(operator, operator.claim_job(run_id, "a")["lease"]["lease_id"], 0.3)

    def doctor(*direct: str) -> tuple[int, list[str]]:
        result = operator.daemon.cli("daemon", "doctor", "--json", *direct, timeout=60)
        assert "Traceback" not in result.stderr
        return result.returncode, json.loads(result.stdout)["ledger_problems"]

    assert doctor() == (0, [])
    assert operator.daemon.database is not None
    conn = db.connect_admin(operator.daemon.database, autocommit=True)
    try:
        # The spend reset and the budget raised, so that the run spends on: both named.
        db.execute(
            conn,
            "UPDATE striatumd.runs SET spent_usd = 0, budget_usd = 100 WHERE run_id = %(r)s",
            {"r": run_id},
        )
        db.execute(conn, "UPDATE striatumd.lane_budgets SET hard = true")
        code, problems = doctor()
        assert code == 8, problems
        assert problems == [
            f"run {run_id} records $0.000000 and 10 tokens spent; its usage rows sum to "
            "$0.300000 and 10",
            f"run {run_id}: its budget differs from the last one its events record",
            f"run {run_id}, lane one: its budget differs from the last one its events record",
        ]
        # The same from the CLI's own check of the database (no daemon asked).
        assert doctor("--database-url", operator.daemon.database.admin_conninfo) == (8, problems)
        # And in `striatum doctor`'s provenance plane.
        user = operator.daemon.cli("--repo", str(operator.repo), "doctor", "--json", timeout=60)
        checks = json.loads(user.stdout)["provenance"]["checks"]
        ledger = [c for c in checks if c["check"] == "spend ledger"]
        assert user.returncode == 8 and [c["detail"] for c in ledger] == problems, user.stdout
        # The report's row removed too, guard lifted, spend made to agree: the event remains.
        (kept,) = db.fetch_all(conn, "SELECT * FROM striatumd.attempt_usage")
        db.execute(conn, "ALTER TABLE striatumd.attempt_usage DISABLE TRIGGER USER")
        db.execute(conn, "DELETE FROM striatumd.attempt_usage")
        db.execute(conn, "ALTER TABLE striatumd.attempt_usage ENABLE TRIGGER USER")
        db.execute(conn, "UPDATE striatumd.runs SET spent_tokens = 0, budget_usd = 0.5")
        db.execute(
            conn, "UPDATE striatumd.lane_budgets SET spent_usd = 0, spent_tokens = 0, hard = false"
        )
        code, problems = doctor()
        assert code == 8 and len(problems) == 1, problems
        assert problems[0].startswith(f"run {run_id}, event ")
        assert problems[0].endswith(": an attempt.usage event has no usage row")
        # Put back as it was: sound again.
        columns = ", ".join(kept)
        values = ", ".join(f"%({name})s" for name in kept)
        db.execute(conn, f"INSERT INTO striatumd.attempt_usage ({columns}) VALUES ({values})", kept)
        db.execute(conn, "UPDATE striatumd.runs SET spent_usd = 0.3, spent_tokens = 10")
        db.execute(conn, "UPDATE striatumd.lane_budgets SET spent_usd = 0.3, spent_tokens = 10")
        assert doctor() == (0, [])
    finally:
        conn.close()

"""`complete --then-claim`: a completion that also claims the session's next job, in one
request (SPEC §9, "What a transition costs"): one transaction, one audit row, every event."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, new_repo, task_workflow


@pytest.fixture
def operator(daemon: DaemonUnderTest, tmp_path: Path) -> Operator:
    return Operator(daemon=daemon, repo=new_repo(tmp_path))


def _prepared(operator: Operator, tmp_path: Path) -> str:
    lane = {"provider": "command", "command": ["true"], "max_concurrency": 4}
    lanes = {"one": lane, "two": {**lane, "command": ["false"]}}
    jobs = [("a", "one", []), ("b", "one", ["a"]), ("c", "two", ["a"]), ("d", "one", ["b", "c"])]
    return operator.prepare(task_workflow(tmp_path, "then-claim", lanes, jobs))


def _first_claim(operator: Operator, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    """The prepared run, and the packet of its first claim (job a)."""
    run_id = _prepared(operator, tmp_path)
    packet = operator.claim(run_id)
    assert packet is not None and packet["job"]["job_id"] == "a"
    return run_id, packet


def _audit(operator: Operator, count: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = operator.cli(
        "audit", "list", "--limit", str(count), principal=True
    )["rows"]
    return rows


def _events(operator: Operator, run_id: str, job: str) -> list[str]:
    return [e["type"] for e in operator.cli("why", run_id, job)["events"]]


def test_a_completion_claims_the_next_job_of_the_lane_in_the_same_request(
    operator: Operator, tmp_path: Path
) -> None:
    run_id, first = _first_claim(operator, tmp_path)
    done = operator.cli(
        "complete", "--lease", first["lease"]["lease_id"], "--then-claim", "--then-lane", "two"
    )
    following = done["next"]
    assert done["state"] == "succeeded" and following["claimed"] is True
    assert following["job"]["job_id"] == "c", "--then-lane two: not b, which comes first"
    assert following["token"] and following["lease"]["lease_id"] != first["lease"]["lease_id"]
    # What it claimed is not offered as ready; what it left is.
    assert [job["job_id"] for job in done["ready"]] == ["b"]
    # One request: one audit row (the audit list's own row comes after it reads).
    (row,) = _audit(operator, 1)
    assert (row["method"], row["ok"]) == ("complete", True)
    assert row["params"]["then_claim"] is True
    # Every transition still has its event, in order: a's lease ended, then a's success (one
    # statement appends both: consecutive rows), then c's lease.
    a_events = operator.cli("why", run_id, "a")["events"]
    (ended,) = [e for e in a_events if e["type"] == "lease.ended"]
    (success,) = [e for e in a_events if e["type"] == "job.succeeded"]
    assert success["seq"] == ended["seq"] + 1
    assert ended["payload"]["outcome"] == "completed" and success["payload"]["previous"] == "leased"
    c_events = operator.cli("why", run_id, "c")["events"]
    assert c_events[-1]["type"] == "job.leased" and c_events[-1]["seq"] > success["seq"]
    jobs = {j["job_id"]: j["state"] for j in operator.cli("status", run_id)["jobs"]}
    assert jobs == {"a": "succeeded", "b": "ready", "c": "leased", "d": "pending"}

    # A lane token works its own lease but claims nothing: refused whole, nothing done.
    lane_token = following["token"]
    refused = operator.daemon.cli(
        "complete",
        "--lease",
        following["lease"]["lease_id"],
        "--then-claim",
        "--json",
        token=lane_token,
    )
    assert refused.returncode == 6, refused.stderr  # permission denied
    assert "--then-claim" in refused.stderr and "drive" in refused.stderr
    jobs = {j["job_id"]: j["state"] for j in operator.cli("status", run_id)["jobs"]}
    assert jobs["c"] == "leased" and jobs["b"] == "ready"

    # Nothing of the lane left: the completion says so, and still completes.
    last_of_two = operator.cli(
        "complete", "--lease", following["lease"]["lease_id"], "--then-claim", "--then-lane", "two"
    )
    assert last_of_two["state"] == "succeeded"
    assert last_of_two["next"]["claimed"] is False
    assert "no ready job on lane two" in last_of_two["next"]["reason"]


def test_then_claim_walks_a_whole_run_one_request_per_job(
    operator: Operator, tmp_path: Path
) -> None:
    run_id = _prepared(operator, tmp_path)
    packet = operator.claim(run_id)
    order = []
    while packet is not None and packet["claimed"]:
        order.append(packet["job"]["job_id"])
        answer = operator.cli("complete", "--lease", packet["lease"]["lease_id"], "--then-claim")
        packet = answer["next"]
    assert order == ["a", "b", "c", "d"]
    assert answer["run_state"] == "succeeded"
    assert packet == {"claimed": False, "reason": "the run is succeeded"}
    methods = [row["method"] for row in _audit(operator, 6)]
    assert methods[:4] == ["complete"] * 4 and "claim-next" in methods[4:]


def test_then_lane_alone_is_a_usage_error_that_completes_nothing(
    operator: Operator, tmp_path: Path
) -> None:
    run_id, packet = _first_claim(operator, tmp_path)
    result = operator.daemon.cli(
        "--repo",
        str(operator.repo),
        "complete",
        "--lease",
        packet["lease"]["lease_id"],
        "--then-lane",
        "one",
        "--json",
    )
    assert result.returncode == 3, result.stderr
    assert "--then-lane needs --then-claim" in result.stderr
    assert operator.cli("status", run_id)["jobs"][0]["state"] == "leased"


def test_a_closed_session_claims_nothing_next_and_the_completion_stands(
    operator: Operator, tmp_path: Path
) -> None:
    _, packet = _first_claim(operator, tmp_path)
    operator.cli("session", "close", "--session", operator.session)
    done = operator.cli("complete", "--lease", packet["lease"]["lease_id"], "--then-claim")
    assert done["state"] == "succeeded"
    assert done["next"] == {"claimed": False, "reason": f"session {operator.session} is closed"}
    assert sorted(job["job_id"] for job in done["ready"]) == ["b", "c"]


def test_a_completion_records_the_moves_of_all_it_makes_ready_in_one_statement(
    operator: Operator, tmp_path: Path
) -> None:
    """A fan-out's completion costs what a leaf's does, plus the read of its dependents:
    their moves are recorded in the statement that ends its lease, not one statement per job
    it makes ready (nor one for all of them)."""
    lanes = {"one": {"provider": "command", "command": ["true"], "max_concurrency": 16}}
    leaves = [f"b{n:02d}" for n in range(12)]
    jobs = [("a", "one", []), *((leaf, "one", ["a"]) for leaf in leaves)]
    # The daemon's anchoring (every 0.3 s in tests) would add its statements to most
    # measures: set back to a period longer than the test. Its lease sweep may still add to
    # one measure, so the least of three counts.
    operator.daemon.stop()
    operator.daemon.env["STRIATUM_ANCHOR_EVERY_S"] = "3600"
    operator.daemon.start()
    extra: list[int] = []
    for attempt in range(3):
        run_id = operator.prepare(task_workflow(tmp_path, f"fan-out-{attempt}", lanes, jobs))

        def statements_to_complete(job: str, run_id: str = run_id) -> int:
            lease = operator.claim_job(run_id, job)["lease"]["lease_id"]
            before = operator.daemon.json("daemon", "status")["work"]["statements"]
            operator.cli("complete", "--lease", lease)
            after = operator.daemon.json("daemon", "status")["work"]["statements"]
            return int(after - before)

        fan_out = statements_to_complete("a")
        leaf = statements_to_complete(leaves[0])
        extra.append(fan_out - leaf)
        ready = {j["job_id"] for j in operator.cli("status", "--run-id", run_id)["jobs"]}
        assert set(leaves) <= ready
    # daemon status is a request too: its own statements are in both figures alike.
    assert min(extra) <= 1, extra


def test_a_completion_that_makes_jobs_ready_answers_with_its_own_success_event(
    operator: Operator, tmp_path: Path
) -> None:
    """The moves a completion makes share its statement: its answer's event (the anchor a
    provenance commit carries) is still its own `job.succeeded`, and the chain reads the
    lease's end, the success, then each job made ready."""
    run_id, first = _first_claim(operator, tmp_path)
    done = operator.cli("complete", "--lease", first["lease"]["lease_id"])
    assert sorted(job["job_id"] for job in done["ready"]) == ["b", "c"]
    events = operator.cli("why", run_id)["events"]
    by_seq = {e["seq"]: e for e in events}
    success = by_seq[done["event_seq"]]
    assert (success["type"], success["job_id"]) == ("job.succeeded", "a")
    assert success["row_hash"] == done["event_hash"]
    seq = done["event_seq"]
    assert (by_seq[seq - 1]["type"], by_seq[seq - 1]["job_id"]) == ("lease.ended", "a")
    following = [(by_seq[s]["type"], by_seq[s]["job_id"]) for s in (seq + 1, seq + 2)]
    assert sorted(following) == [("job.ready", "b"), ("job.ready", "c")]

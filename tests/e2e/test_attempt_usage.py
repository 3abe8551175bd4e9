"""What attempts used: `report-usage`, the usage a completion or failure carries, and the
totals `status` shows (SPEC §9, usage): sums of the `attempt.usage` events, unknown never 0."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_corpus import export, verify_both
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, new_repo, task_workflow


@pytest.fixture
def operator(daemon: DaemonUnderTest, tmp_path: Path) -> Operator:
    return Operator(daemon=daemon, repo=new_repo(tmp_path))


def _prepared(operator: Operator, tmp_path: Path) -> str:
    lane = {"provider": "command", "command": ["true"], "max_concurrency": 4, "max_attempts": 3}
    lanes = {"one": lane, "two": {**lane, "command": ["false"]}}
    jobs: list[tuple[str, str, list[str]]] = [("a", "one", []), ("b", "two", []), ("c", "one", [])]
    return operator.prepare(task_workflow(tmp_path, "usage", lanes, jobs))


def _usage_events(operator: Operator, run_id: str) -> list[dict[str, Any]]:
    events = []
    for job in ("a", "b", "c"):
        events += [
            e["payload"]
            for e in operator.cli("why", run_id, job)["events"]
            if e["type"] == "attempt.usage"
        ]
    return events


def test_reports_add_up_per_attempt_job_lane_and_run_and_silence_stays_unknown(
    operator: Operator, tmp_path: Path
) -> None:
    run_id = _prepared(operator, tmp_path)
    a = operator.claim_job(run_id, "a")
    lease_a = a["lease"]["lease_id"]
    # The agent reports as it goes, with its own lane token...
    reported = operator.daemon.cli(
        "report-usage",
        "--lease",
        lease_a,
        "--input-tokens",
        "1000",
        "--output-tokens",
        "200",
        "--cost-usd",
        "0.01",
        "--json",
        token=a["token"],
    )
    assert reported.returncode == 0, reported.stderr
    # ...and its supervisor passes what the CLI said at the end.
    carried = {"input_tokens": 500, "cached_tokens": 4000, "output_tokens": 50, "model": "m-1"}
    operator.cli("complete", "--lease", lease_a, "--usage", json.dumps(carried))

    b = operator.claim_job(run_id, "b")  # fails once with usage, then once without
    operator.cli(
        "fail",
        "--lease",
        b["lease"]["lease_id"],
        "--reason",
        "rate limited",
        "--usage",
        json.dumps({"output_tokens": 7, "cost_usd": 0.5, "cost_source": "estimated"}),
    )
    b2 = operator.claim_job(run_id, "b")
    operator.cli("fail", "--lease", b2["lease"]["lease_id"], "--reason", "again")
    operator.claim_job(run_id, "c")  # running, nothing reported yet

    status = operator.cli("status", run_id)
    jobs = {job["job_id"]: job["usage"] for job in status["jobs"]}
    assert jobs["a"] == {
        "input_tokens": 1500,
        "cached_tokens": 4000,
        "output_tokens": 250,
        "cost_usd": pytest.approx(0.01),
        "cost_source": "reported",
        "tokens": 5750,
        "attempts": 1,
        "unreported_attempts": 0,
    }
    assert jobs["b"] == {
        "output_tokens": 7,
        "cost_usd": 0.5,
        "cost_source": "estimated",
        "tokens": 7,
        "attempts": 2,
        "unreported_attempts": 1,
    }
    assert jobs["c"] == {"tokens": None, "attempts": 1, "unreported_attempts": 1}
    usage = status["usage"]
    assert usage["total"]["tokens"] == 5757 and usage["total"]["unreported_attempts"] == 2
    assert usage["total"]["cost_usd"] == pytest.approx(0.51)
    assert usage["total"]["cost_source"] == "estimated"  # part of it is an estimate
    assert usage["by_lane"]["one"]["tokens"] == 5750 and usage["by_lane"]["two"]["tokens"] == 7
    assert usage["by_provider"]["command"]["attempts"] == 4

    # The totals are the sums of the chain's attempt.usage events.
    events = _usage_events(operator, run_id)
    assert len(events) == 3
    for field in ("input_tokens", "cached_tokens", "output_tokens"):
        assert usage["total"][field] == sum(e.get(field, 0) for e in events)
    assert usage["total"]["cost_usd"] == pytest.approx(sum(e.get("cost_usd", 0) for e in events))

    # The moving-jobs read a supervisor makes often sums nothing.
    assert "usage" not in operator.cli("status", run_id, "--jobs", "moving")

    # The corpus export carries the reports, and still verifies.
    bundle = tmp_path / "bundle"
    export(operator, run_id, bundle)
    exported = [
        json.loads(line)
        for line in (bundle / "events.jsonl").read_text().splitlines()
        if "attempt.usage" in line  # its type, inside the line's canonical record
    ]
    assert len(exported) == 3
    assert verify_both(operator, bundle) == (0, 0)


def test_bad_usage_is_refused_by_name_and_records_nothing(
    operator: Operator, tmp_path: Path
) -> None:
    run_id = _prepared(operator, tmp_path)
    lease = operator.claim_job(run_id, "a")["lease"]["lease_id"]
    cases = [
        (("complete", "--lease", lease, "--usage", "{not json"), "--usage must be a JSON object"),
        (("complete", "--lease", lease, "--usage", '{"tokens": 5}'), "unknown field(s) 'tokens'"),
        (("complete", "--lease", lease, "--usage", '{"output_tokens": -1}'), "usage.output_tokens"),
        (("complete", "--lease", lease, "--usage", '{"cost_usd": 1e400}'), "usage.cost_usd"),
        (("report-usage", "--lease", lease, "--cost-usd", "cheap"), "--cost-usd must be a number"),
        (("report-usage", "--lease", lease, "--cost-usd", "nan"), "usage.cost_usd"),
        (("report-usage", "--lease", lease), "needs at least one of"),
    ]
    for args, message in cases:
        result = operator.daemon.cli("--repo", str(operator.repo), *args, "--json")
        assert result.returncode == 3, (args, result.stderr)  # a validation error
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    status = operator.cli("status", run_id)
    assert status["usage"]["total"]["unreported_attempts"] == 1
    assert {j["job_id"]: j["state"] for j in status["jobs"]}["a"] == "leased"  # not completed
    assert _usage_events(operator, run_id) == []

"""Usage and usage limits under a real supervisor (SPEC §9, usage and parking): a CLI that hits
its usage limit parks the job, which resumes by itself at the reset time without spending an
attempt; a `command` agent reports what it used through $STRIATUM_USAGE, priced from the
table; the principal's hook hears of the parked lane once."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_supervisor import status, supervise
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, new_repo

# A stand-in for Claude Code: its first call hits the usage limit (the reset 3 s ahead, as
# Claude Code says it: `…|<epoch seconds>`), later calls do the work and report usage and cost.
# It counts its calls in its config folder ($CLAUDE_CONFIG_DIR), which its sandbox keeps.
LIMITED_CLAUDE = """#!{python}
import json, os, sys, time
from pathlib import Path
sys.stdin.read()
calls = Path(os.environ["STUB_CALLS"])
calls.write_text(calls.read_text() + "x" if calls.exists() else "x")
if len(calls.read_text()) == 1:
    print(json.dumps({{"type": "result", "subtype": "success", "is_error": True,
        "result": "Claude AI usage limit reached|%d" % (time.time() + 3),
        "total_cost_usd": 0, "usage": {{"input_tokens": 0, "output_tokens": 0}}}}))
    sys.exit(1)
Path(os.environ["STRIATUM_OUTPUT"]).write_text("done\\n")
print(json.dumps({{"type": "result", "subtype": "success", "is_error": False, "result": "ok",
    "total_cost_usd": 0.25, "usage": {{"input_tokens": 1000, "cache_read_input_tokens": 500,
    "cache_creation_input_tokens": 0, "output_tokens": 40}},
    "modelUsage": {{"claude-sonnet-4-5": {{"outputTokens": 40}}}}}}))
"""


@pytest.fixture
def operator(daemon: DaemonUnderTest, tmp_path: Path) -> Operator:
    return Operator(daemon=daemon, repo=new_repo(tmp_path))


def _workflow(tmp_path: Path, lane: dict[str, Any], jobs: int = 1) -> Path:
    folder = tmp_path / "wf"
    folder.mkdir(exist_ok=True)
    document = {
        "schema_version": "striatum.workflow.v1",
        "id": "usage",
        "name": "Usage",
        "lanes": {"agent": {"timeout_s": 30, "max_attempts": 1, **lane}},
        "jobs": [
            {
                "id": f"job{n}",
                "kind": "task",
                "lane": "agent",
                "artifacts": [{"path": f"docs/striatum/job{n}.md"}],
            }
            for n in range(jobs)
        ],
    }
    (folder / "workflow.json").write_text(json.dumps(document))
    return folder / "workflow.json"


def test_a_usage_limit_parks_the_job_and_it_resumes_by_itself_without_spending_an_attempt(
    operator: Operator, tmp_path: Path
) -> None:
    inbox = tmp_path / "notices"
    inbox.mkdir()
    operator.cli("adopt", "--notify", f"cat > {inbox}/$(date +%s%N).json", principal=True)
    stubs = tmp_path / "bin"
    stubs.mkdir()
    (stubs / "claude").write_text(LIMITED_CLAUDE.format(python=sys.executable))
    (stubs / "claude").chmod(0o755)
    lane = {"provider": "claude_code", "env": {"STUB_CALLS": "${STUB_CALLS}"}}
    run_id = operator.prepare(_workflow(tmp_path, lane))
    started = time.monotonic()
    config = tmp_path / ".claude"
    env = {
        "PATH": f"{stubs}:{os.environ['PATH']}",
        "CLAUDE_CONFIG_DIR": str(config),
        "STUB_CALLS": str(config / "calls"),
    }
    result = supervise(operator, run_id, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started >= 2.5  # it waited for the reset
    assert "parked until" in result.stderr and "usage limit" in result.stderr
    final = status(operator, run_id)
    assert final["run"]["state"] == "succeeded"
    (job,) = final["jobs"]
    assert job["state"] == "succeeded" and job["attempt"] == 2  # max_attempts 1: not spent
    events = operator.cli("why", run_id, "job0")["events"]
    assert [e["payload"]["outcome"] for e in events if e["type"] == "lease.ended"] == [
        "parked",
        "completed",
    ]
    # What both attempts used, as the CLI reported it (the limited one: nothing, said so).
    assert job["usage"]["cost_usd"] == pytest.approx(0.25)
    assert job["usage"]["cost_source"] == "reported"
    assert (job["usage"]["input_tokens"], job["usage"]["cached_tokens"]) == (1000, 500)
    assert job["usage"]["output_tokens"] == 40 and job["usage"]["unreported_attempts"] == 0
    deadline = time.monotonic() + 10
    kinds: list[str] = []
    while time.monotonic() < deadline and "run_ended" not in kinds:
        kinds = [json.loads(p.read_text())["kind"] for p in inbox.glob("*") if p.stat().st_size]
        time.sleep(0.1)
    assert kinds.count("parked") == 1 and "run_ended" in kinds


def test_a_command_agent_reports_usage_through_its_file_and_the_cost_is_estimated(
    operator: Operator, tmp_path: Path
) -> None:
    script = (
        'echo ok > "$STRIATUM_OUTPUT"; '
        'if [ "$STRIATUM_JOB_ID" = job0 ]; then '
        'echo \'{"input_tokens": 10000, "output_tokens": 2000, "model": "claude-sonnet-4-5"}\' '
        '> "$STRIATUM_USAGE"; '
        "else echo 'not json' > \"$STRIATUM_USAGE\"; fi"
    )
    lane = {"provider": "command", "command": ["sh", "-c", script]}
    run_id = operator.prepare(_workflow(tmp_path, lane, jobs=3))
    result = supervise(operator, run_id)
    assert result.returncode == 0, result.stderr
    final = status(operator, run_id)
    assert final["run"]["state"] == "succeeded"  # a bad usage file costs the work nothing
    jobs = {job["job_id"]: job["usage"] for job in final["jobs"]}
    assert jobs["job0"]["cost_source"] == "estimated"
    # The shipped table's list price for the model: $3 in, $15 out per million tokens.
    assert jobs["job0"]["cost_usd"] == pytest.approx(10000 * 3e-6 + 2000 * 15e-6)
    assert jobs["job1"] == {"tokens": None, "attempts": 1, "unreported_attempts": 1}
    assert "usage file" in result.stderr and "not JSON" in result.stderr
    total = final["usage"]["total"]
    assert total["unreported_attempts"] == 2 and total["tokens"] == 12000


def test_the_users_price_file_prices_what_the_table_does_not_know(
    operator: Operator, tmp_path: Path
) -> None:
    script = (
        'echo ok > "$STRIATUM_OUTPUT"; '
        'echo \'{"input_tokens": 1000000, "output_tokens": 1000000, "model": "local-llama"}\' '
        '> "$STRIATUM_USAGE"'
    )
    lane = {"provider": "command", "command": ["sh", "-c", script]}
    prices = tmp_path / "prices.json"
    prices.write_text(
        json.dumps({"models": {"local-llama": {"input": 0.5, "cached_input": 0, "output": 2}}})
    )
    run_id = operator.prepare(_workflow(tmp_path, lane))
    result = supervise(operator, run_id, env={"STRIATUM_PRICES": str(prices)})
    assert result.returncode == 0, result.stderr
    (job,) = status(operator, run_id)["jobs"]
    assert job["usage"]["cost_usd"] == pytest.approx(2.5)
    assert job["usage"]["cost_source"] == "estimated"

    # A price file that is not one: said in the log, the shipped table used, the work done.
    prices.write_text(json.dumps({"models": {"local-llama": {"input": "cheap"}}}))
    (tmp_path / "again").mkdir()
    run_id = operator.prepare(_workflow(tmp_path / "again", lane))
    result = supervise(operator, run_id, env={"STRIATUM_PRICES": str(prices)})
    assert result.returncode == 0, result.stderr
    assert "STRIATUM_PRICES ignored" in result.stderr and str(prices) in result.stderr
    (job,) = status(operator, run_id)["jobs"]
    assert job["state"] == "succeeded" and "cost_usd" not in job["usage"]
    assert job["usage"]["tokens"] == 2000000


def test_a_hard_budget_stops_a_running_agent_and_its_job_runs_again_once_raised(
    operator: Operator, tmp_path: Path
) -> None:
    # job0's first attempt runs until stopped; job1 reports a dollar and ends, reaching the
    # budget while job0 still runs.
    script = (
        'if [ "$STRIATUM_JOB_ID-$STRIATUM_ATTEMPT" = job0-1 ]; then exec sleep 60; fi; '
        'if [ "$STRIATUM_JOB_ID" = job1 ]; then sleep 1; '
        'echo \'{"cost_usd": 1.0}\' > "$STRIATUM_USAGE"; fi; '
        'echo ok > "$STRIATUM_OUTPUT"'
    )
    lane = {"provider": "command", "command": ["sh", "-c", script], "max_concurrency": 2}
    workflow = _workflow(tmp_path, lane, jobs=2)
    operator.cli("adopt")
    run_id = operator.cli(
        "run", "prepare", "--workflow", str(workflow), "--budget-usd", "0.5", "--budget-hard"
    )["run_id"]
    operator.cli("run", "start", "--run-id", run_id, "--no-supervise")
    result = supervise(operator, run_id, timeout=40)  # returns once only the human can help
    assert result.returncode == 5, result.stderr  # the run has not succeeded: it waits
    assert "job0: lease lost" in result.stderr
    # The pid the supervisor started (in a sandbox, the sandbox's own: all of it goes with it).
    stopped = int(
        (operator.repo / ".striatum/runs" / run_id / "job0/attempt-1/agent.pid").read_text()
    )
    with pytest.raises(ProcessLookupError):
        os.kill(stopped, 0)  # the agent was stopped, not left to run out its minute
    paused = status(operator, run_id)
    assert paused["run"]["state"] == "paused"
    assert {job["job_id"]: job["state"] for job in paused["jobs"]} == {
        "job0": "ready",
        "job1": "succeeded",
    }
    operator.cli("run", "budget", "--run-id", run_id, "--usd", "5", principal=True)
    result = supervise(operator, run_id)
    assert result.returncode == 0, result.stderr
    final = status(operator, run_id)
    assert final["run"]["state"] == "succeeded"
    job0 = next(job for job in final["jobs"] if job["job_id"] == "job0")
    assert job0["attempt"] == 2  # max_attempts 1: the stopped attempt was not spent

"""The real Claude Code, Codex and Gemini CLIs as supervised lanes, their model answered by the
scripted server: a code-change run with one revision loop per pair of CLIs, and the ways an
attempt fails (endpoint down, nothing written, malformed verdict, edit outside the scope).

Each lane reaches the model through its own `env` in the workflow (no variable of the test's
environment is inherited), which is also what proves that per-lane env works with the CLIs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from striatum.lanes import sandbox
from tests.agents import clis
from tests.agents.scripted_model import (
    Failure,
    Final,
    ScriptedModel,
    Turn,
    free_port,
    lane_script,
)
from tests.support.operator import Operator

pytestmark = [pytest.mark.agents, pytest.mark.timeout(600), pytest.mark.usefixtures("agent_clis")]

BIN = Path(sys.executable).parent
PROVIDER = {"claude": "claude_code", "codex": "codex", "gemini": "gemini"}
MODEL = {"claude": "claude-sonnet-4-5", "codex": "gpt-5.5", "gemini": "gemini-2.5-flash"}
FEATURE = "def rate_limit(calls: int) -> bool:\n    return calls < 10\n"


def lane(cli: clis.Cli, home: Path, port: int, **extra: Any) -> dict[str, Any]:
    """A lane of `cli` whose model is the scripted server, told through the lane's env."""
    spec: dict[str, Any] = {
        "provider": PROVIDER[cli],
        "timeout_s": 240,
        "max_attempts": 1,
        "env": clis.lane_env(cli, home / cli, port),
    }
    if cli != "codex":  # Codex takes its model from its config.toml
        spec["model"] = MODEL[cli]
    spec.update(extra)
    return spec


def code_change(
    folder: Path, author: dict[str, Any], reviewer: dict[str, Any], **gate: Any
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    document = {
        "schema_version": "striatum.workflow.v1",
        "id": "real-agents",
        "name": "Real agents",
        "lanes": {"author": author, "reviewer": reviewer},
        "jobs": [
            {
                "id": "change",
                "kind": "task",
                "lane": "author",
                "title": "Add rate limiting",
                "write_scope": ["src/", "docs/striatum/"],
                "artifacts": [{"path": "docs/striatum/change.md"}],
            },
            {
                "id": "review",
                "kind": "review",
                "lane": "reviewer",
                "depends_on": ["change"],
                "artifacts": [{"path": "docs/striatum/review.md", "kind": "findings"}],
                "review": {"target": "change", "max_revisions": 2, **gate},
            },
        ],
    }
    (folder / "workflow.json").write_text(json.dumps(document, indent=2))
    return folder / "workflow.json"


def supervise(operator: Operator, run_id: str, home: Path) -> subprocess.CompletedProcess[str]:
    """The supervisor with a scratch HOME and the CLIs on PATH, and nothing else of ours."""
    env = {**operator.daemon.env, **clis.base_env(home)}
    return subprocess.run(
        [str(BIN / "striatum"), "supervise", "--run-id", run_id, "--until-blocked"],
        env=env,
        cwd=operator.repo,
        capture_output=True,
        text=True,
        timeout=560,
        check=False,
    )


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "home"
    path.mkdir()
    yield path


@pytest.mark.parametrize(
    ("author", "reviewer"), [("claude", "codex"), ("codex", "gemini"), ("gemini", "claude")]
)
def test_a_real_cli_writes_another_reviews_with_one_revision_loop(
    operator: Operator, home: Path, tmp_path: Path, author: clis.Cli, reviewer: clis.Cli
) -> None:
    script = lane_script(verdicts=["needs_revision", "accept"], edits={"src/limits.py": FEATURE})
    with ScriptedModel(script) as model:
        workflow = code_change(
            tmp_path / "flow", lane(author, home, model.port), lane(reviewer, home, model.port)
        )
        run_id = operator.prepare(workflow)
        started = time.monotonic()
        result = supervise(operator, run_id, home)
        seconds = time.monotonic() - started
        assert model.errors == []
    assert result.returncode == 0, result.stderr
    if sandbox.mechanism() is not None:  # by default each CLI ran in a standard sandbox
        assert result.stderr.count("in a sandbox)") >= 3 and "unsandboxed)" not in result.stderr
    final = operator.cli("status", "--run-id", run_id)
    assert final["run"]["state"] == "succeeded", (final, result.stderr)
    jobs = {job["job_id"]: job for job in final["jobs"]}
    assert jobs["change"]["attempt"] == 2 and jobs["review"]["attempt"] == 2
    # What every attempt used, as each real CLI reported it (SPEC §9, usage).
    used = final["usage"]
    assert set(used["by_provider"]) == {PROVIDER[author], PROVIDER[reviewer]}
    assert used["total"]["unreported_attempts"] == 0 and used["total"]["tokens"] > 0
    assert all(job["usage"]["output_tokens"] > 0 for job in final["jobs"]), final["jobs"]
    verdicts = operator.cli("list", "verdicts", "--run-id", run_id)["verdicts"]
    assert [v["value"] for v in verdicts][-2:] in (
        ["needs_revision", "accept"],
        ["accept", "needs_revision"],
    )
    for verdict in verdicts:
        assert verdict["reviewer_provider"] == PROVIDER[reviewer]
        assert verdict["author_provider"] == PROVIDER[author]
        assert verdict["reviewer_model"] == MODEL[reviewer]  # as the CLI reported it
        assert verdict["author_model"] == MODEL[author]
        assert verdict["cross_provider"] is True
    log = subprocess.run(
        ["git", "-C", str(operator.repo), "log", "--format=%B%x00", f"striatum/{run_id}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    commits = [c for c in log.split("\0") if "Striatum-Job: change" in c]
    # The revision rewrote the same text, so only the first attempt changed the code.
    assert len(commits) == 1 and "Striatum-Attempt: 1" in commits[0]
    for trailer in ("Striatum-Run:", "Striatum-Attempt:", "Striatum-Lease:", "Striatum-Event:"):
        assert all(trailer in c for c in commits)
    show = subprocess.run(
        ["git", "-C", str(operator.repo), "show", f"striatum/{run_id}:src/limits.py"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert show.stdout.strip() == FEATURE.strip()
    # The review prompt carried the commit under review and its diff.
    prompts = sorted((operator.repo / ".striatum" / "runs" / run_id / "review").rglob("prompt.md"))
    assert "## Under review" in prompts[0].read_text()
    assert "+def rate_limit" in prompts[0].read_text()
    print(f"\n{author}->{reviewer}: 4 jobs in {seconds:.1f} s ({seconds / 4:.1f} s per job)")


def test_claude_code_with_its_config_in_home_runs_in_the_default_sandbox(
    operator: Operator, home: Path, tmp_path: Path
) -> None:
    """As a user has it: no CLAUDE_CONFIG_DIR, so `~/.claude` (writable in the sandbox) and
    `~/.claude.json` beside it, which stays read-only like the rest of $HOME: Claude Code
    works without saving it, and what it keeps lands in `~/.claude` on the host."""
    if sandbox.mechanism() is None:
        pytest.skip("no working bubblewrap here (user namespaces refused?)")
    script = lane_script(verdicts=["accept"], edits={"src/limits.py": FEATURE})
    with ScriptedModel(script) as model:
        author = lane("claude", home, model.port)
        del author["env"]["CLAUDE_CONFIG_DIR"]
        workflow = code_change(tmp_path / "flow", author, lane("codex", home, model.port))
        run_id = operator.prepare(workflow)
        result = supervise(operator, run_id, home)
        assert model.errors == []
    assert result.returncode == 0, result.stderr
    assert "unsandboxed)" not in result.stderr
    final = operator.cli("status", "--run-id", run_id)
    assert final["run"]["state"] == "succeeded", (final, result.stderr)
    assert any((home / ".claude").iterdir())  # its sessions and settings, kept on the host
    assert not (home / ".claude.json").exists()


@pytest.mark.parametrize(
    ("author", "reviewer"), [("claude", "codex"), ("codex", "gemini"), ("gemini", "claude")]
)
def test_real_clis_in_strict_sandboxes_reach_the_model_their_lanes_name(
    operator: Operator, home: Path, tmp_path: Path, author: clis.Cli, reviewer: clis.Cli
) -> None:
    """Each CLI through the egress proxy (its own loopback is empty): its proxy variables
    carry it to the scripted model, which its lane names in `allow_hosts`."""
    if sandbox.mechanism() is None:
        pytest.skip("no working bubblewrap here (user namespaces refused?)")
    script = lane_script(verdicts=["accept"], edits={"src/limits.py": FEATURE})
    with ScriptedModel(script) as model:
        strict = {"sandbox": "strict", "allow_hosts": [f"127.0.0.1:{model.port}"]}
        workflow = code_change(
            tmp_path / "flow",
            lane(author, home, model.port, **strict),
            lane(reviewer, home, model.port, **strict),
        )
        run_id = operator.prepare(workflow)
        result = supervise(operator, run_id, home)
        assert model.errors == []
    assert result.returncode == 0, result.stderr
    assert "refused a connection" not in result.stderr
    final = operator.cli("status", "--run-id", run_id)
    assert final["run"]["state"] == "succeeded", (final, result.stderr)
    assert all(job["usage"]["output_tokens"] > 0 for job in final["jobs"]), final["jobs"]


@pytest.mark.parametrize(
    ("cli", "said", "log"),
    [
        ("claude", "Unable to connect to API", "stdout.log"),
        ("codex", "Codex turn failed", "stdout.log"),
        ("gemini", "fetch failed", "stderr.log"),  # Gemini prints its error JSON on stderr
    ],
)
def test_an_unreachable_model_fails_the_attempt_within_the_fail_fast_bound(
    operator: Operator, home: Path, tmp_path: Path, cli: clis.Cli, said: str, log: str
) -> None:
    """Every profile's fail-fast defaults: no retries for minutes (Codex: for ever), and the
    CLI's own error quoted with the log that holds it."""
    dead = free_port()
    other: clis.Cli = "claude" if cli != "claude" else "codex"
    workflow = code_change(tmp_path / "flow", lane(cli, home, dead), lane(other, home, dead))
    run_id = operator.prepare(workflow)
    started = time.monotonic()
    supervise(operator, run_id, home)
    assert time.monotonic() - started < 120
    (blocker,) = operator.cli("status", "--run-id", run_id)["open_blockers"]
    assert said in blocker["reason"] and log in blocker["reason"], blocker["reason"]


def _first(script_turn: Turn) -> Final:
    return Final("I have nothing to write.")


@pytest.mark.parametrize("cli", ["claude", "codex", "gemini"])
def test_exit_0_with_nothing_written_fails_the_attempt(
    operator: Operator, home: Path, tmp_path: Path, cli: clis.Cli
) -> None:
    with ScriptedModel(_first) as model:
        workflow = code_change(
            tmp_path / "flow",
            lane(cli, home, model.port),
            lane("claude" if cli == "codex" else "codex", home, model.port),
        )
        run_id = operator.prepare(workflow)
        supervise(operator, run_id, home)
    (blocker,) = operator.cli("status", "--run-id", run_id)["open_blockers"]
    assert "required artifact(s) missing" in blocker["reason"]


def test_a_malformed_verdict_names_the_line_and_the_values(
    operator: Operator, home: Path, tmp_path: Path
) -> None:
    with ScriptedModel(lane_script(verdicts=["looks-good"])) as model:
        workflow = code_change(
            tmp_path / "flow", lane("claude", home, model.port), lane("gemini", home, model.port)
        )
        run_id = operator.prepare(workflow)
        supervise(operator, run_id, home)
    (blocker,) = operator.cli("status", "--run-id", run_id)["open_blockers"]
    assert "`verdict: looks-good` is not one of accept, needs_revision, reject" in blocker["reason"]
    assert "line 2" in blocker["reason"] and "--lease" not in blocker["reason"]


def test_an_edit_outside_the_scope_fails_the_attempt_and_is_discarded(
    operator: Operator, home: Path, tmp_path: Path
) -> None:
    with ScriptedModel(lane_script(edits={"README.md": "rewritten\n"})) as model:
        workflow = code_change(
            tmp_path / "flow", lane("claude", home, model.port), lane("codex", home, model.port)
        )
        run_id = operator.prepare(workflow)
        supervise(operator, run_id, home)
    (blocker,) = operator.cli("status", "--run-id", run_id)["open_blockers"]
    assert "changed README.md outside its write scope" in blocker["reason"]


@pytest.mark.parametrize("cli", ["claude", "codex", "gemini"])
def test_a_real_cli_rate_limited_parks_its_job_which_runs_once_the_limit_lifts(
    operator: Operator, home: Path, tmp_path: Path, cli: clis.Cli
) -> None:
    """HTTP 429 from the model: each real CLI's error is read as a rate limit, the attempt is
    parked (not failed: max_attempts is 1) for the lane's backoff, and the job runs again by
    itself once the model answers."""
    script = lane_script(verdicts=["accept"], edits={"src/limits.py": FEATURE})
    with ScriptedModel(script, failure=Failure(status=429)) as model:
        other: clis.Cli = "claude" if cli != "claude" else "codex"
        workflow = code_change(
            tmp_path / "flow",
            lane(cli, home, model.port, park_backoff_s=3),
            lane(other, home, model.port),
        )
        run_id = operator.prepare(workflow)
        env = {**operator.daemon.env, **clis.base_env(home)}
        supervisor = subprocess.Popen(
            [str(BIN / "striatum"), "supervise", "--run-id", run_id, "--until-blocked"],
            env=env,
            cwd=operator.repo,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 120
            parked: list[dict[str, Any]] = []
            while not parked and time.monotonic() < deadline and supervisor.poll() is None:
                time.sleep(0.2)
                jobs = operator.cli("status", "--run-id", run_id)["jobs"]
                parked = [job for job in jobs if job.get("parked_until")]
            assert parked and parked[0]["job_id"] == "change", "the change never parked"
            model.failure = None  # the limit lifts
            _, stderr = supervisor.communicate(timeout=400)
        finally:
            supervisor.kill()
    assert supervisor.returncode == 0, stderr
    assert "parked until" in stderr and "rate limit" in stderr, stderr
    final = operator.cli("status", "--run-id", run_id)
    assert final["run"]["state"] == "succeeded", (final, stderr)
    change = next(job for job in final["jobs"] if job["job_id"] == "change")
    assert change["attempt"] == 2  # the parked attempt was not counted against max_attempts 1
    events = operator.cli("why", run_id, "change")["events"]
    assert [e["payload"]["outcome"] for e in events if e["type"] == "lease.ended"] == [
        "parked",
        "completed",
    ]

"""The supervisor runs real agent processes: every example shape, profiles, timeouts, kills."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from striatum.lanes import sandbox
from tests.faults.test_lane_crashes import processes_of
from tests.support.daemons import DaemonUnderTest, alive
from tests.support.operator import Operator, commit_file, example, new_repo, task_workflow
from tests.support.waiting import wait_until

BIN = Path(sys.executable).parent


@pytest.fixture
def operator(daemon: DaemonUnderTest, tmp_path: Path) -> Operator:
    return Operator(daemon=daemon, repo=new_repo(tmp_path))


def supervise(
    operator: Operator, run_id: str, *, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "striatum"), "supervise", "--run-id", run_id, "--until-blocked"],
        env={**operator.daemon.env, **(env or {})},
        cwd=operator.repo,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def status(operator: Operator, run_id: str) -> dict[str, Any]:
    result: dict[str, Any] = operator.cli("status", "--run-id", run_id)
    return result


@contextlib.contextmanager
def background_supervisor(
    operator: Operator, run_id: str, stderr: int = subprocess.DEVNULL
) -> Iterator[subprocess.Popen[str]]:
    """`striatum supervise` in the background; killed if the test leaves it running."""
    process = subprocess.Popen(
        [str(BIN / "striatum"), "supervise", "--run-id", run_id],
        env=operator.daemon.env,
        cwd=operator.repo,
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def leased(operator: Operator, run_id: str) -> bool:
    return bool(status(operator, run_id)["jobs"][0]["state"] == "leased")


@pytest.mark.parametrize(
    "name",
    [
        "minimal-flow",
        "review-flow",
        "code-change-flow",
        "support-ledger-flow",
        "rfc-ledger-cleanup",
    ],
)
def test_each_example_runs_to_its_end_under_the_supervisor(operator: Operator, name: str) -> None:
    run_id = operator.prepare(example(name))
    result = supervise(operator, run_id)
    assert result.returncode == 0, result.stderr
    final = status(operator, run_id)
    assert final["run"]["state"] == "succeeded"
    lanes = operator.repo / ".striatum" / "runs" / run_id / "lanes"
    assert {p.name for p in lanes.iterdir()} >= {"author.pid"}
    assert all(p.read_text() == "" for p in lanes.iterdir())  # no agent left running
    prompts = list((operator.repo / ".striatum" / "runs" / run_id).rglob("prompt.md"))
    assert len(prompts) >= len(final["jobs"])
    assert all(p.with_name("stdout.log").exists() for p in prompts)
    if name == "code-change-flow":  # the scripted review asks for one revision
        assert {j["job_id"]: j["attempt"] for j in final["jobs"]}["change"] == 2
    if name == "review-flow":  # its session declares no provider: the lanes' are recorded
        (verdict,) = operator.cli("list", "verdicts", "--run-id", run_id)["verdicts"]
        assert (verdict["reviewer_model"], verdict["author_model"]) == (
            "scripted-reviewer1",
            "scripted-author",
        )
        assert verdict["cross_provider"] is True


def test_the_code_change_example_in_a_repository_with_history(operator: Operator) -> None:
    """Worktree mode: the job's scopes (src/, tests/) do not exist yet and stay empty."""
    subprocess.run(
        [
            "git",
            "-C",
            str(operator.repo),
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "init",
        ],
        check=True,
    )
    run_id = operator.prepare(example("code-change-flow"))
    result = supervise(operator, run_id)
    assert result.returncode == 0, result.stderr
    # The worktree lives in Striatum's home, outside the checkout (agent CLIs walk up from
    # their working directory and would load the checkout's untracked settings).
    repo_id = status(operator, run_id)["run"]["repo_id"]
    worktree = operator.daemon.base / "home" / "worktrees" / repo_id / run_id
    assert (worktree / ".git").exists()
    assert not (operator.repo / ".striatum" / "worktrees").exists()
    artifacts = operator.cli("list", "artifacts", "--run-id", run_id)["artifacts"]
    assert all((operator.repo / a["path"]).is_file() for a in artifacts)


def test_the_checkpoint_example_waits_for_the_human_then_finishes(operator: Operator) -> None:
    run_id = operator.prepare(example("human-checkpoint-flow"))
    with background_supervisor(operator, run_id) as process:
        wait_until(
            lambda: status(operator, run_id)["open_blockers"],
            "the checkpoint never opened",
            timeout=60,
        )
        (blocker,) = status(operator, run_id)["open_blockers"]
        operator.cli(
            "checkpoint",
            "decide",
            "--blocker",
            blocker["blocker_id"],
            "--choice",
            "continue",
            principal=True,
        )
        assert process.wait(60) == 0
    assert status(operator, run_id)["run"]["state"] == "succeeded"


def scratch_of(operator: Operator, run_id: str, job: str = "draft", attempt: int = 1) -> Path:
    """An attempt's scratch folder, where a sandboxed agent may leave what the test reads."""
    return operator.repo / ".striatum" / "runs" / run_id / job / f"attempt-{attempt}"


def _stub_workflow(
    tmp_path: Path, provider: str, model: str | None = None, env: dict[str, str] | None = None
) -> Path:
    folder = tmp_path / "wf"
    folder.mkdir(exist_ok=True)
    lane: dict[str, Any] = {"provider": provider, "timeout_s": 30, "max_attempts": 1}
    if model:
        lane["model"] = model
    if env:
        lane["env"] = env
    (folder / "workflow.json").write_text(
        json.dumps(
            {
                "schema_version": "striatum.workflow.v1",
                "id": "stub",
                "name": "Stub",
                "lanes": {"agent": lane},
                "jobs": [
                    {
                        "id": "draft",
                        "kind": "task",
                        "lane": "agent",
                        "artifacts": [{"path": "docs/striatum/out.md"}],
                    }
                ],
            }
        )
    )
    return folder / "workflow.json"


# The stub records what it was given in its attempt's scratch folder (`STUB_LOG` names the
# file), which a sandboxed agent may write and the test reads after.
STUB = """#!{python}
import json, os, sys
from pathlib import Path
record = {{"argv": sys.argv[1:], "stdin": sys.stdin.read(), "env": dict(os.environ)}}
scratch = Path(os.environ["STRIATUM_PROMPT_FILE"]).parent
(scratch / os.environ["STUB_LOG"]).write_text(json.dumps(record))
Path(os.environ["STRIATUM_OUTPUT"]).write_text("---\\nverdict: accept\\n---\\nstub\\n")
"""


@pytest.mark.parametrize(
    ("provider", "executable", "flags"),
    [
        (
            "claude_code",
            "claude",
            [
                "-p",
                "--output-format",
                "json",
                "--permission-mode",
                "acceptEdits",
                "--model",
                "opus",
            ],
        ),
        (
            "codex",
            "codex",
            [
                "exec",
                "--json",
                "--skip-git-repo-check",
                "--sandbox",
                "workspace-write",
                "-c",
                "features.unbounded_connection_retries=false",
                "--model",
                "opus",
                "-",
            ],
        ),
        (
            "gemini",
            "gemini",
            [
                "--output-format",
                "json",
                "--approval-mode",
                "auto_edit",
                "--skip-trust",
                "--model",
                "opus",
                "-p",
            ],
        ),
    ],
)
def test_each_profile_passes_its_headless_flags_and_the_prompt(
    operator: Operator, tmp_path: Path, provider: str, executable: str, flags: list[str]
) -> None:
    stubs = tmp_path / "bin"
    stubs.mkdir()
    (stubs / executable).write_text(STUB.format(python=sys.executable))
    (stubs / executable).chmod(0o755)
    log = "stub.json"
    run_id = operator.prepare(
        _stub_workflow(tmp_path, provider, "opus", env={"STUB_LOG": "${STUB_LOG}", "MODE": "test"})
    )
    keys = {
        "ANTHROPIC_API_KEY": "a-key",
        "OPENAI_API_KEY": "o-key",
        "GEMINI_API_KEY": "g-key",
        "UNRELATED_SECRET": "s",
    }
    env = {"PATH": f"{stubs}:{os.environ['PATH']}", "STUB_LOG": log, **keys}
    result = supervise(operator, run_id, env=env)
    assert result.returncode == 0, result.stderr
    record = json.loads((scratch_of(operator, run_id) / log).read_text())
    assert record["argv"][: len(flags)] == flags
    assert "# draft" in record["stdin"] and "## Write" in record["stdin"]
    agent_env = record["env"]
    assert agent_env["STRIATUM_TOKEN"].startswith("stm_")
    assert agent_env["STRIATUM_JOB_ID"] == "draft"
    # The lane's env: a literal, and a reference filled from the supervisor's environment.
    assert agent_env["MODE"] == "test" and agent_env["STUB_LOG"] == log
    # Only this provider's key reaches the agent; nothing unrelated does.
    own = {
        "claude_code": "ANTHROPIC_API_KEY",
        "codex": "OPENAI_API_KEY",
        "gemini": "GEMINI_API_KEY",
    }[provider]
    assert agent_env[own] == keys[own]
    assert not (set(keys) - {own}) & set(agent_env)


def test_an_agent_that_exits_0_without_its_outputs_has_failed(
    operator: Operator, tmp_path: Path
) -> None:
    workflow = _stub_workflow(tmp_path, "command")
    document = json.loads(workflow.read_text())
    document["lanes"]["agent"]["command"] = ["true"]
    workflow.write_text(json.dumps(document))
    run_id = operator.prepare(workflow)
    supervise(operator, run_id, timeout=60, env={"STRIATUM_SWEEP_INTERVAL_S": "1"})
    final = status(operator, run_id)
    assert final["jobs"][0]["state"] == "failed"
    why = operator.cli("why", "draft", "--run-id", run_id)["events"]
    assert any("exited 0 but" in str(e["payload"].get("reason")) for e in why)


def test_a_timeout_kills_the_agent_and_its_grandchild(operator: Operator, tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    workflow = _stub_workflow(tmp_path, "command")
    document = json.loads(workflow.read_text())
    document["lanes"]["agent"].update(  # no sandbox: the pid is the host's, the file seen
        timeout_s=1, command=["sh", "-c", f"sleep 300 & echo $! > {pidfile}; wait"], sandbox="none"
    )
    workflow.write_text(json.dumps(document))
    run_id = operator.prepare(workflow)
    supervise(operator, run_id, timeout=90)
    grandchild = int(pidfile.read_text())
    assert not alive(grandchild), "the grandchild outlived the timeout"
    events = operator.cli("why", "draft", "--run-id", run_id)["events"]
    assert any("timed out" in str(e["payload"].get("reason")) for e in events)


def test_a_timeout_ends_a_sandboxed_agent_and_everything_it_started(
    operator: Operator, tmp_path: Path
) -> None:
    """The same in the default sandbox, where pids are the sandbox's own: no process that
    carries the run's marker outlives the timeout."""
    workflow = _stub_workflow(tmp_path, "command")
    document = json.loads(workflow.read_text())
    document["lanes"]["agent"].update(timeout_s=1, command=["sh", "-c", "sleep 300 & wait"])
    workflow.write_text(json.dumps(document))
    run_id = operator.prepare(workflow)
    result = supervise(operator, run_id, timeout=90)
    if sandbox.mechanism() is not None:
        assert "in a sandbox)" in result.stderr
    wait_until(lambda: processes_of(run_id) == [], "a process of the agent outlived its timeout")
    events = operator.cli("why", "draft", "--run-id", run_id)["events"]
    assert any("timed out" in str(e["payload"].get("reason")) for e in events)


def test_kill_9_of_an_agent_fails_the_attempt_and_it_is_retried(
    operator: Operator, tmp_path: Path
) -> None:
    marker = tmp_path / "first-attempt-done"
    workflow = _stub_workflow(tmp_path, "command")
    document = json.loads(workflow.read_text())
    script = (
        f"if [ -e {marker} ]; then echo ok > $STRIATUM_OUTPUT; else touch {marker}; kill -9 $$; fi"
    )
    # No sandbox: the marker outside the worktree outlives the attempt.
    document["lanes"]["agent"].update(max_attempts=2, command=["sh", "-c", script], sandbox="none")
    workflow.write_text(json.dumps(document))
    run_id = operator.prepare(workflow)
    result = supervise(operator, run_id)
    assert result.returncode == 0, result.stderr
    final = status(operator, run_id)
    assert final["jobs"][0]["attempt"] == 2 and final["run"]["state"] == "succeeded"


def test_kill_9_of_the_supervisor_leaves_work_for_the_next_one(
    operator: Operator, tmp_path: Path
) -> None:
    workflow = _stub_workflow(tmp_path, "command")
    document = json.loads(workflow.read_text())
    document["lanes"]["agent"].update(
        max_attempts=2,
        command=[
            "sh",
            "-c",
            "if [ -e $STRIATUM_OUTPUT.go ]; then echo ok > $STRIATUM_OUTPUT; else sleep 300; fi",
        ],
    )
    workflow.write_text(json.dumps(document))
    run_id = operator.prepare(workflow)
    with background_supervisor(operator, run_id) as first:
        wait_until(lambda: leased(operator, run_id), "the job was never leased")
        lease = status(operator, run_id)["leases"][0]
        first.send_signal(signal.SIGKILL)
        first.wait()
    agent_pid = int(next((operator.repo / ".striatum").rglob("agent.pid")).read_text())
    # The agent dies with its supervisor (PR_SET_PDEATHSIG).
    wait_until(lambda: not alive(agent_pid), "the agent outlived its supervisor", timeout=10)
    operator.cli("heartbeat", "--lease", lease["lease_id"], "--ttl-s", "1")
    time.sleep(1.2)
    operator.cli("recovery", "sweep")
    # A repository without commits has no worktree: agents work in it directly.
    run_dir = operator.repo / "docs" / "striatum" / run_id / "draft" / "attempt-2"
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "out.md.go").write_text("go")
    result = supervise(operator, run_id)
    assert result.returncode == 0, result.stderr
    assert status(operator, run_id)["jobs"][0]["attempt"] == 2


def test_run_start_launches_a_supervisor_and_walks_away(operator: Operator) -> None:
    operator.cli("adopt")
    run_id = operator.cli("run", "prepare", "--workflow", str(example("review-flow")))["run_id"]
    started = operator.daemon.cli(
        "--repo", str(operator.repo), "run", "start", "--run-id", run_id, "--json"
    )
    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout)["state"] == "running"  # stdout stays pure JSON
    assert "supervisor started" in started.stderr
    deadline = time.monotonic() + 60
    while status(operator, run_id)["run"]["state"] != "succeeded":
        assert time.monotonic() < deadline, "the background supervisor never finished"
        time.sleep(0.2)
    assert (operator.repo / ".striatum" / f"supervisor-{run_id}.log").exists()
    while (
        subprocess.run(
            ["pgrep", "-f", f"supervise --run-id {run_id}"], capture_output=True, check=False
        ).returncode
        == 0
    ):  # the supervisor leaves, no orphan
        assert time.monotonic() < deadline + 30, "the background supervisor never exited"
        time.sleep(0.2)


def test_send_delivers_a_message_to_a_running_agent(operator: Operator, tmp_path: Path) -> None:
    workflow = _stub_workflow(tmp_path, "command")
    document = json.loads(workflow.read_text())
    document["lanes"]["agent"]["command"] = [
        "sh",
        "-c",
        'read line < "$STRIATUM_INPUT_FIFO"; echo "$line" > "$STRIATUM_OUTPUT"',
    ]
    workflow.write_text(json.dumps(document))
    run_id = operator.prepare(workflow)
    with background_supervisor(operator, run_id) as process:
        wait_until(
            lambda: (
                operator.daemon.cli(
                    "--repo",
                    str(operator.repo),
                    "send",
                    "--run-id",
                    run_id,
                    "--job",
                    "draft",
                    "--message",
                    "hello agent",
                ).returncode
                == 0
            ),
            "the message was never delivered",
        )
        assert process.wait(30) == 0
    outputs = list((operator.repo / "docs" / "striatum").rglob("out.md"))
    assert [p.read_text().strip() for p in outputs] == ["hello agent"]


def test_code_changes_are_committed_on_the_run_branch_and_land(
    operator: Operator, tmp_path: Path
) -> None:
    commit_file(operator.repo, "README.md", "user's file\n")
    workflow = _stub_workflow(tmp_path, "command")
    document = json.loads(workflow.read_text())
    document["jobs"][0]["write_scope"] = ["src/", "docs/striatum/"]
    document["lanes"]["agent"]["command"] = [
        "sh",
        "-c",
        'mkdir -p src && echo "x = 1" > src/app.py && echo done > "$STRIATUM_OUTPUT"',
    ]
    workflow.write_text(json.dumps(document))
    run_id = operator.prepare(workflow)
    assert supervise(operator, run_id).returncode == 0
    assert not (operator.repo / "src").exists()  # the user's working tree is untouched
    branch = f"striatum/{run_id}"
    log = subprocess.run(
        ["git", "-C", str(operator.repo), "log", "-1", "--format=%B", branch],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"Striatum-Run: {run_id}" in log and "Striatum-Job: draft" in log
    event_hash = log.split("Striatum-Event: ")[1].split()[0]
    event_seq = int(log.split("Striatum-Event-Seq: ")[1].split()[0])
    events = operator.cli("why", "draft", "--run-id", run_id)["events"]
    assert (event_seq, event_hash) in {(e["seq"], e["row_hash"]) for e in events}  # an anchor
    denied = operator.daemon.cli("--repo", str(operator.repo), "run", "land", "--run-id", run_id)
    assert denied.returncode == 6  # landing is the principal's decision
    landed = operator.cli("run", "land", "--run-id", run_id, principal=True)
    assert len(landed["commit"]) == 40
    assert (operator.repo / "src" / "app.py").read_text() == "x = 1\n"
    assert (operator.repo / "README.md").read_text() == "user's file\n"


def test_the_supervisor_rides_out_a_daemon_killed_with_sigkill(
    operator: Operator, tmp_path: Path
) -> None:
    workflow = _stub_workflow(tmp_path, "command")
    document = json.loads(workflow.read_text())
    document["lanes"]["agent"]["command"] = ["sh", "-c", 'sleep 2; echo ok > "$STRIATUM_OUTPUT"']
    workflow.write_text(json.dumps(document))
    run_id = operator.prepare(workflow)
    before = operator.cli("why", run_id)["events"]
    with background_supervisor(operator, run_id, stderr=subprocess.PIPE) as process:
        wait_until(lambda: leased(operator, run_id), "the job was never leased")
        operator.daemon.kill()  # SIGKILL while the agent works
        time.sleep(1)
        operator.daemon.start()
        assert process.wait(60) == 0
        assert process.stderr is not None
        log = process.stderr.read()
    assert "retrying" in log  # it noticed the outage and waited it out
    after = operator.cli("why", run_id)["events"]
    assert [e["row_hash"] for e in after[: len(before)]] == [e["row_hash"] for e in before]
    assert status(operator, run_id)["run"]["state"] == "succeeded"
    assert operator.daemon.json("daemon", "doctor")["ok"]


def test_cancelling_the_run_kills_its_running_agents(operator: Operator, tmp_path: Path) -> None:
    pidfile = tmp_path / "agent.pid"
    workflow = _stub_workflow(tmp_path, "command")
    document = json.loads(workflow.read_text())
    document["lanes"]["agent"]["command"] = ["sh", "-c", f"echo $$ > {pidfile}; sleep 300"]
    document["lanes"]["agent"]["sandbox"] = "none"  # the pid is the host's, the file seen
    workflow.write_text(json.dumps(document))
    run_id = operator.prepare(workflow)
    with background_supervisor(operator, run_id) as process:
        wait_until(
            lambda: pidfile.exists() and pidfile.read_text().strip(), "the agent never started"
        )
        operator.cli("run", "cancel", "--run-id", run_id)
        assert process.wait(30) == 5  # the run did not succeed
    assert not alive(int(pidfile.read_text()))


def test_one_supervisor_per_run(operator: Operator, tmp_path: Path) -> None:
    workflow = _stub_workflow(tmp_path, "command")
    document = json.loads(workflow.read_text())
    document["lanes"]["agent"]["command"] = ["sh", "-c", 'sleep 2; echo ok > "$STRIATUM_OUTPUT"']
    workflow.write_text(json.dumps(document))
    run_id = operator.prepare(workflow)
    with background_supervisor(operator, run_id) as first:
        wait_until(lambda: leased(operator, run_id), "the job was never leased")
        second = supervise(operator, run_id, timeout=30)
        assert second.returncode == 5 and "already has a supervisor" in second.stderr
        assert first.wait(30) == 0


def _scoped_run(
    operator: Operator, tmp_path: Path, script: str, forbidden: list[str] | None = None
) -> str:
    commit_file(operator.repo, "README.md", "x\n")
    workflow = _stub_workflow(tmp_path, "command")
    document = json.loads(workflow.read_text())
    document["jobs"][0]["write_scope"] = ["src/", "docs/striatum/"]
    document["forbidden_paths"] = forbidden or []
    document["lanes"]["agent"]["command"] = ["sh", "-c", script]
    workflow.write_text(json.dumps(document))
    return operator.prepare(workflow)


def _branch_files(operator: Operator, run_id: str) -> list[str]:
    return subprocess.run(
        ["git", "-C", str(operator.repo), "show", "--name-only", "--format=", f"striatum/{run_id}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()


def test_a_job_commits_only_inside_its_scope(operator: Operator, tmp_path: Path) -> None:
    run_id = _scoped_run(
        operator, tmp_path, 'mkdir -p src && echo a > src/a.py && echo ok > "$STRIATUM_OUTPUT"'
    )
    assert supervise(operator, run_id).returncode == 0
    assert _branch_files(operator, run_id) == ["src/a.py"]


def test_an_edit_outside_the_write_scope_fails_the_attempt_loudly(
    operator: Operator, tmp_path: Path
) -> None:
    """Never silently dropped: the attempt fails naming the path, and the edit is thrown
    away (no later job of the run finds it in the worktree)."""
    run_id = _scoped_run(
        operator,
        tmp_path,
        "mkdir -p src .github && echo a > src/a.py "
        '&& echo evil > .github/x.yml && echo ok > "$STRIATUM_OUTPUT"',
    )
    supervise(operator, run_id)
    final = status(operator, run_id)
    assert final["jobs"][0]["state"] == "failed"
    (blocker,) = final["open_blockers"]
    assert ".github/x.yml outside its write scope" in blocker["reason"]
    assert "discarded" in blocker["reason"]
    worktree = operator.daemon.base / "home" / "worktrees" / final["run"]["repo_id"] / run_id
    assert not (worktree / ".github").exists() and not (worktree / "src" / "a.py").exists()
    tips = [
        subprocess.run(
            ["git", "-C", str(operator.repo), "rev-parse", ref],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for ref in ("HEAD", f"striatum/{run_id}")
    ]
    assert tips[0] == tips[1]  # nothing was committed on the run's branch


def test_an_edit_of_a_forbidden_path_fails_even_inside_the_scope(
    operator: Operator, tmp_path: Path
) -> None:
    run_id = _scoped_run(
        operator,
        tmp_path,
        'mkdir -p src/vendor && echo a > src/vendor/x.py && echo ok > "$STRIATUM_OUTPUT"',
        forbidden=["src/vendor"],
    )
    supervise(operator, run_id)
    final = status(operator, run_id)
    (blocker,) = final["open_blockers"]
    assert "forbidden path(s) src/vendor/x.py" in blocker["reason"]


def test_an_agent_cannot_switch_to_the_principal_token(operator: Operator, tmp_path: Path) -> None:
    workflow = _stub_workflow(tmp_path, "command")
    document = json.loads(workflow.read_text())
    document["lanes"]["agent"]["command"] = [
        "sh",
        "-c",
        f'{BIN}/striatum --as principal whoami > "$(dirname "$STRIATUM_PROMPT_FILE")/whoami.txt" '
        '2>&1; echo ok > "$STRIATUM_OUTPUT"',
    ]
    workflow.write_text(json.dumps(document))
    run_id = operator.prepare(workflow)
    assert supervise(operator, run_id).returncode == 0
    assert "--as is refused" in (scratch_of(operator, run_id) / "whoami.txt").read_text()


def test_a_missing_cli_fails_the_job_at_once_with_the_install_hint(
    operator: Operator, tmp_path: Path
) -> None:
    """A launch that cannot start is permanent: one attempt, not three, and the escalation
    says what to install; once it is installed, the human's retry runs the job again."""
    workflow = _stub_workflow(tmp_path, "claude_code")
    document = json.loads(workflow.read_text())
    document["lanes"]["agent"]["max_attempts"] = 3
    workflow.write_text(json.dumps(document))
    run_id = operator.prepare(workflow)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    supervise(operator, run_id, env={"PATH": f"{empty}:/usr/bin:/bin"})
    final = status(operator, run_id)
    assert final["jobs"][0]["state"] == "failed" and final["jobs"][0]["attempt"] == 1
    (blocker,) = final["open_blockers"]
    assert "`claude` is not on PATH" in blocker["reason"]
    assert "npm install -g @anthropic-ai/claude-code" in blocker["reason"]
    shown = operator.cli("escalation", "show", blocker["blocker_id"])
    assert shown["outcomes"] == ["retry", "fail"]
    operator.cli(
        "escalation",
        "resolve",
        "--blocker",
        blocker["blocker_id"],
        "--outcome",
        "retry",
        principal=True,
    )
    assert status(operator, run_id)["jobs"][0]["state"] == "ready"


FAKE_CLAUDE = """#!/bin/sh
cat > /dev/null
echo '{body}'
exit {code}
"""


@pytest.mark.parametrize(
    ("body", "code", "said"),
    [
        (
            '{"type": "result", "subtype": "success", "is_error": true, '
            '"result": "API Error: 401 invalid x-api-key"}',
            1,
            "API Error: 401 invalid x-api-key",
        ),
        (
            '{"type": "result", "subtype": "success", "is_error": false, "result": "done", '
            '"permission_denials": [{"tool_name": "Bash", "tool_use_id": "t1"}]}',
            0,
            "refused permission for Bash",
        ),
    ],
)
def test_the_cli_error_in_its_json_output_is_quoted_with_the_log_that_holds_it(
    operator: Operator, tmp_path: Path, body: str, code: int, said: str
) -> None:
    stubs = tmp_path / "bin"
    stubs.mkdir()
    (stubs / "claude").write_text(FAKE_CLAUDE.format(body=body, code=code))
    (stubs / "claude").chmod(0o755)
    run_id = operator.prepare(_stub_workflow(tmp_path, "claude_code"))
    supervise(operator, run_id, env={"PATH": f"{stubs}:{os.environ['PATH']}"})
    (blocker,) = status(operator, run_id)["open_blockers"]
    assert said in blocker["reason"]
    assert "stdout.log" in blocker["reason"] and "stderr.log" not in blocker["reason"]


def test_a_failed_attempt_leaves_no_stray_edit_for_the_next_job(
    operator: Operator, tmp_path: Path
) -> None:
    """Outside-scope edits are reverted whatever the outcome: an agent that exits 1 after
    scribbling outside its scope does not get the next attempt blamed for it."""
    run_id = _scoped_run(
        operator,
        tmp_path,
        "echo x > outside.txt; "
        'if [ "$STRIATUM_ATTEMPT" = 1 ]; then exit 1; fi; '
        'rm -f outside.txt; echo ok > "$STRIATUM_OUTPUT"',
    )
    document = status(operator, run_id)
    supervise(operator, run_id)
    final = status(operator, run_id)
    worktree = operator.daemon.base / "home" / "worktrees" / document["run"]["repo_id"] / run_id
    assert not (worktree / "outside.txt").exists()
    assert final["jobs"][0]["state"] == "failed"  # max_attempts 1: the first attempt's end
    (blocker,) = final["open_blockers"]
    assert "exited with 1" in blocker["reason"]
    assert "also changed outside.txt outside its write scope" in blocker["reason"]


def test_a_sequential_lane_costs_one_request_per_job(operator: Operator, tmp_path: Path) -> None:
    """In steady state each completion claims the lane's next job (`complete --then-claim`):
    a chain of six jobs takes six completions and one claim, not six of each."""
    lane = {"provider": "command", "command": ["true"]}
    jobs = [{"id": "j0", "kind": "task", "lane": "solo"}] + [
        {"id": f"j{n}", "kind": "task", "lane": "solo", "depends_on": [f"j{n - 1}"]}
        for n in range(1, 6)
    ]
    workflow = tmp_path / "chain.json"
    workflow.write_text(
        json.dumps(
            {
                "schema_version": "striatum.workflow.v1",
                "id": "chain",
                "name": "Chain",
                "lanes": {"solo": lane},
                "jobs": jobs,
            }
        )
    )
    run_id = operator.prepare(workflow)
    result = supervise(operator, run_id)
    assert result.returncode == 0, result.stderr
    assert status(operator, run_id)["run"]["state"] == "succeeded"
    rows = operator.cli("audit", "list", "--limit", "200", principal=True)["rows"]
    mine = [r for r in rows if r["params"].get("run_id") == run_id or "lease" in r["params"]]
    completes = [r for r in mine if r["method"] == "complete"]
    claims = [r for r in mine if r["method"] == "claim-next"]
    assert len(completes) == 6 and len(claims) == 1, [r["method"] for r in mine]
    assert sum(bool(r["params"].get("then_claim")) for r in completes) == 6


def test_quick_agents_on_a_wide_lane_cost_one_request_per_job(
    operator: Operator, tmp_path: Path
) -> None:
    """Agents that end before the completion before theirs answers still claim next with
    their own completion (a lane's slots and one ahead, counting the claims in flight): no
    separate claims in steady state, and no job claimed only to be given back."""
    lanes = {"quick": {"provider": "command", "command": ["true"]}}
    jobs: list[tuple[str, str, list[str]]] = [(f"j{n:02d}", "quick", []) for n in range(60)]
    run_id = operator.prepare(task_workflow(tmp_path, "wide", lanes, jobs))
    result = supervise(operator, run_id)
    assert result.returncode == 0, result.stderr
    assert status(operator, run_id)["run"]["state"] == "succeeded"
    rows = operator.cli("audit", "list", "--limit", "300", principal=True)["rows"]
    mine = [r for r in rows if r["params"].get("run_id") == run_id or "lease" in r["params"]]
    methods = [r["method"] for r in mine]
    assert methods.count("complete") == 60, methods
    assert "release" not in methods, methods
    # The first claim, the one that claims ahead once the lane proved quick, and one more
    # should the completions all answer while an agent still runs (a slow machine).
    assert methods.count("claim-next") <= 3, methods

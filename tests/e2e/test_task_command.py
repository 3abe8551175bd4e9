"""`striatum task`: one sentence to a reviewed run, for real (daemon, supervisor, lanes).

With no AI CLI on PATH the lanes run the scripted agent, whose code review asks for one
revision and then accepts.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.agent_stubs import SYSTEM_PATH, path_with, stub_clis
from tests.support.daemons import BIN, DaemonUnderTest
from tests.support.operator import commit_file, new_repo
from tests.support.pseudo_terminal import Terminal
from tests.support.waiting import wait_until

WAITING_FOR_HUMAN = 20
NO_AI_PATH = f"{BIN}:{SYSTEM_PATH}"  # striatum and python3, never an agent CLI


@pytest.fixture
def repo(daemon: DaemonUnderTest, tmp_path: Path) -> Path:
    """An adopted repository with one commit (so runs work in a worktree and land)."""
    found = new_repo(tmp_path)
    commit_file(found, "README.md", "user's file\n")
    git = ["git", "-C", str(found), "-c", "user.name=t", "-c", "user.email=t@t"]
    assert task_cli(daemon, found, "adopt").returncode == 0
    subprocess.run([*git, "add", ".gitignore"], check=True)
    subprocess.run([*git, "commit", "-qm", "ignore scratch"], check=True)
    return found


def task_cli(
    daemon: DaemonUnderTest, repo: Path, *args: str, path: str = NO_AI_PATH, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`striatum ARGS` in `repo`, no terminal, with `path` as PATH."""
    return subprocess.run(
        [str(BIN / "striatum"), *args],
        env={**daemon.env, "PATH": path},
        cwd=repo,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def status(daemon: DaemonUnderTest, repo: Path, run_id: str) -> dict[str, Any]:
    result = task_cli(daemon, repo, "status", run_id, "--json")
    assert result.returncode == 0, result.stderr
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def runs(daemon: DaemonUnderTest, repo: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(
        task_cli(daemon, repo, "list", "runs", "--json").stdout
    )["runs"]
    return found


def only_run(daemon: DaemonUnderTest, repo: Path) -> str:
    (run,) = runs(daemon, repo)
    return str(run["run_id"])


def escalated_task(
    daemon: DaemonUnderTest, repo: Path
) -> tuple[subprocess.CompletedProcess[str], str, dict[str, Any]]:
    """A task whose review's first needs_revision is past the gate's bound (--max-revisions
    0), left waiting for the human: its answer, its run and the escalation."""
    result = task_cli(daemon, repo, "task", "Add a hello module", "--max-revisions", "0")
    assert result.returncode == WAITING_FOR_HUMAN, result.stdout + result.stderr
    run_id = only_run(daemon, repo)
    (blocker,) = status(daemon, repo, run_id)["open_blockers"]
    return result, run_id, blocker


def test_a_sentence_becomes_a_code_change_run_that_loops_once_succeeds_and_lands(
    daemon: DaemonUnderTest, repo: Path
) -> None:
    result = task_cli(
        daemon, repo, "--as", "principal", "task", "Add a hello module", "--land", "auto"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no AI CLI on PATH, so scripted agents stand in" in result.stderr
    run_id = only_run(daemon, repo)
    final = status(daemon, repo, run_id)
    assert final["run"]["state"] == "succeeded"
    assert {j["job_id"]: j["attempt"] for j in final["jobs"]}["change"] == 2  # one revision
    assert f"landed striatum/{run_id} as " in result.stdout
    events = json.loads(task_cli(daemon, repo, "why", run_id, "--json").stdout)["events"]
    assert "run.landed" in {e["type"] for e in events}
    workflow = Path(final["run"]["workflow_path"])
    assert workflow.parent.parent == repo / ".striatum" / "tasks"
    assert "Add a hello module" in (workflow.parent / "prompts" / "change.md").read_text()


def test_save_writes_a_workflow_that_validates_and_runs_again(
    daemon: DaemonUnderTest, repo: Path, tmp_path: Path
) -> None:
    saved = tmp_path / "saved"
    result = task_cli(daemon, repo, "task", "Add a hello module", "--save", str(saved), "--detach")
    assert result.returncode == 0, result.stderr
    first = result.stdout.strip()
    assert first == only_run(daemon, repo)  # --detach prints the run id only
    checked = task_cli(daemon, repo, "workflow", "validate", str(saved / "workflow.json"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    again = task_cli(
        daemon, repo, "run", "prepare", "--workflow", str(saved / "workflow.json"), "--start"
    )
    assert again.returncode == 0, again.stderr

    def all_succeeded() -> bool:
        found = runs(daemon, repo)
        return all(status(daemon, repo, r["run_id"])["run"]["state"] == "succeeded" for r in found)

    wait_until(all_succeeded, "the task's runs never both succeeded", timeout=90)
    assert len(runs(daemon, repo)) == 2


def test_the_defaults_pick_the_installed_clis_and_keep_co_blindness(
    daemon: DaemonUnderTest, repo: Path, tmp_path: Path
) -> None:
    stubs = stub_clis(tmp_path / "stubs", "claude", "codex")
    path = f"{BIN}:{path_with(stubs)}"
    result = task_cli(daemon, repo, "task", "Add a hello module", "--detach", path=path)
    assert result.returncode == 0, result.stderr
    assert "author claude_code, reviewers codex" in result.stderr
    run_id = result.stdout.strip()
    task_cli(daemon, repo, "run", "cancel", run_id, path=path)
    workflow = json.loads(Path(status(daemon, repo, run_id)["run"]["workflow_path"]).read_text())
    lanes = {name: lane["provider"] for name, lane in workflow["lanes"].items()}
    assert lanes == {"author": "claude_code", "reviewer1": "codex"}
    review = next(j for j in workflow["jobs"] if j["id"] == "code-review")
    assert "allow_same_provider" not in review["review"]


def test_with_no_terminal_an_escalation_prints_its_commands_and_exits_20(
    daemon: DaemonUnderTest, repo: Path
) -> None:
    """--max-revisions 0: the review's first needs_revision is past the gate's bound."""
    result, _, blocker = escalated_task(daemon, repo)
    command = (
        f"striatum --as principal escalation resolve {blocker['blocker_id']} "
        "--outcome accept|revise|fail"
    )
    assert command in result.stdout
    assert "code-review.md" in result.stdout  # what to read first
    resolved = task_cli(daemon, repo, *command.replace("accept|revise|fail", "accept").split()[1:])
    assert resolved.returncode == 0, resolved.stderr


def test_with_no_terminal_landing_asks_by_printing_the_command_and_exits_20(
    daemon: DaemonUnderTest, repo: Path
) -> None:
    result = task_cli(daemon, repo, "task", "Add a hello module")  # --land ask
    assert result.returncode == WAITING_FOR_HUMAN, result.stdout + result.stderr
    run_id = only_run(daemon, repo)
    assert status(daemon, repo, run_id)["run"]["state"] == "succeeded"
    assert f"striatum --as principal run land {run_id}" in result.stdout


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["task", ""], "the task is empty"),
        (["task", "x", "--author", "copilot"], "--author: unknown provider 'copilot'"),
        (["task", "x", "--author", "codex", "--reviewer", "codex"], "--reviewer codex"),
        (["task", "x", "--max-revisions", "21"], "--max-revisions must be from 0 to 20"),
        (["task", "x", "--land", "auto"], "--land auto lands the run"),
    ],
)
def test_bad_input_is_refused_naming_the_argument_and_creates_nothing(
    daemon: DaemonUnderTest, repo: Path, args: list[str], named: str
) -> None:
    result = task_cli(daemon, repo, *args)
    assert result.returncode == (6 if "auto" in args else 2), result.stderr
    assert named in result.stderr and "Traceback" not in result.stderr
    assert runs(daemon, repo) == []
    assert not (repo / ".striatum" / "tasks").exists()


def test_a_terminal_session_answers_the_checkpoint_then_lands(
    daemon: DaemonUnderTest, repo: Path
) -> None:
    session = Terminal(
        [str(BIN / "striatum"), "task", "Propose a hello module", "--style", "human-checkpoint"],
        {**daemon.env, "PATH": NO_AI_PATH},
        repo,
    )
    asked = session.read_until(lambda text: "answer (cancel, continue, later):" in text)
    assert "A checkpoint waits for your decision" in asked, asked
    assert "proposal-review.md" in asked  # the artifact to read first
    session.type("continue")
    session.read_until(lambda text: "answer (yes, no, later):" in text)
    session.type("yes")
    code, text = session.finish()
    assert code == 0, text
    run_id = only_run(daemon, repo)
    assert "recorded:\r\n      striatum --as principal checkpoint decide" in text
    assert f"landed striatum/{run_id}" in text
    final = status(daemon, repo, run_id)
    assert final["run"]["state"] == "succeeded"
    (decision,) = [
        e
        for e in json.loads(task_cli(daemon, repo, "why", run_id, "--json").stdout)["events"]
        if e["type"] == "checkpoint.decided"
    ]
    assert decision["actor"].startswith("principal:")  # decided as the principal
    assert decision["payload"]["choice"] == "continue"


def test_in_a_repository_with_no_commit_there_is_nothing_to_land(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    """The run worked in the checkout itself: its changes are there already."""
    fresh = new_repo(tmp_path)
    assert task_cli(daemon, fresh, "adopt").returncode == 0
    result = task_cli(daemon, fresh, "--as", "principal", "task", "Add a hello", "--land", "auto")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "nothing to land" in result.stdout
    assert any((fresh / "docs" / "striatum").rglob("handoff.md"))


def test_a_failed_task_is_retried_from_the_workflow_it_kept(
    daemon: DaemonUnderTest, repo: Path
) -> None:
    """The task's folder stays the run's workflow_dir: `run retry` runs its agents again."""
    _, run_id, blocker = escalated_task(daemon, repo)
    failed = task_cli(
        daemon, repo, "--as", "principal", "escalation", "resolve", blocker["blocker_id"],
        "--outcome", "fail",
    )  # fmt: skip
    assert failed.returncode == 0, failed.stderr
    wait_until(
        lambda: status(daemon, repo, run_id)["supervisor"]["state"] == "left",
        "the failed run's supervisor never left",
    )
    assert status(daemon, repo, run_id)["run"]["state"] == "failed"
    retried = task_cli(daemon, repo, "--as", "principal", "run", "retry", run_id)
    assert retried.returncode == 0, retried.stderr
    wait_until(
        lambda: status(daemon, repo, run_id)["run"]["state"] == "succeeded",
        "the retried task never succeeded",
        timeout=90,
    )


def test_from_a_fresh_install_one_command_starts_the_daemon_and_adopts_the_repository(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    fresh = new_repo(tmp_path)  # never adopted
    git = ["git", "-C", str(fresh), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "init"], check=True)
    # Its own home and runtime folder: no daemon answers there yet (the database is shared,
    # as by several daemons).
    env = {
        **daemon.env,
        "PATH": NO_AI_PATH,
        "STRIATUM_HOME": str(tmp_path / "fresh-home"),
        "STRIATUM_RUNTIME_DIR": str(tmp_path / "fresh-run"),
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "striatum"), *args], env=env, cwd=fresh, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    def succeeded(run_id: str) -> None:
        def state() -> str:
            return str(json.loads(cli("status", run_id, "--json").stdout)["run"]["state"])

        wait_until(lambda: state() == "succeeded", f"{run_id} to succeed", timeout=60)

    try:
        result = cli("task", "Add a hello module", "--detach")
        assert result.returncode == 0, result.stderr
        said = " ".join(result.stderr.split())  # messages wrap to the terminal's width
        assert "no daemon was running: striatumd started" in said
        assert f"adopted {fresh}" in said
        run_id = result.stdout.strip()
        succeeded(run_id)
        assert ".striatum/" in (fresh / ".gitignore").read_text()
        again = cli("task", "Add a goodbye module", "--detach")  # running now: said no more
        assert again.returncode == 0 and "no daemon was running" not in again.stderr
        assert "adopted" not in again.stderr
        succeeded(again.stdout.strip())  # its supervisor gone before the daemon stops
    finally:
        cli("daemon", "stop")

"""Ids on the command line, through the installed `striatum` against a real daemon.

The subject of a command is positional (`status RUN`, `job show RUN JOB`, `checkpoint decide
BLOCKER`), its flag (`--run-id`) still works and means the same, and the two given apart
are a usage error; `latest` (or `-`) is the repository's newest run; `run prepare --start`
chains the two steps; `--as` and `--repo` may follow the subcommand. Both the fast path (no
--repo) and the click CLI (--repo) are driven.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.daemons import BIN, DaemonUnderTest
from tests.support.operator import Operator, example, new_repo

USAGE, NOT_FOUND, FORBIDDEN = 2, 4, 6


@pytest.fixture
def operator(daemon: DaemonUnderTest, tmp_path: Path) -> Operator:
    return Operator(daemon=daemon, repo=new_repo(tmp_path))


def striatum(
    daemon: DaemonUnderTest, *args: str, cwd: Path | None = None, token: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The CLI run in `cwd` (its repository, when no --repo says otherwise)."""
    return subprocess.run(
        [str(BIN / "striatum"), *args],
        env=daemon.env if token is None else {**daemon.env, "STRIATUM_TOKEN": token},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def answer(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def prepared(operator: Operator, name: str = "minimal-flow") -> str:
    run_id: str = operator.cli("run", "prepare", "--workflow", str(example(name)))["run_id"]
    return run_id


def test_a_positional_run_id_means_the_same_as_the_flag(operator: Operator) -> None:
    operator.cli("adopt")
    run_id = prepared(operator)
    daemon, repo = operator.daemon, operator.repo
    for words in (["status"], ["list", "jobs"], ["run", "graph"]):
        by_position = answer(striatum(daemon, *words, run_id, "--json", cwd=repo))
        by_flag = answer(striatum(daemon, *words, "--run-id", run_id, "--json", cwd=repo))
        through_click = answer(striatum(daemon, "--repo", str(repo), *words, run_id, "--json"))
        assert by_position == by_flag == through_click, words
    job = by_position["nodes"][0]["job_id"]
    shown = answer(striatum(daemon, "job", "show", run_id, job, "--json", cwd=repo))
    mixed = answer(striatum(daemon, "job", "show", "--run-id", run_id, job, "--json", cwd=repo))
    assert shown["job"]["job_id"] == mixed["job"]["job_id"] == job
    answer(striatum(daemon, "run", "start", run_id, "--no-supervise", "--json", cwd=repo))
    history = answer(striatum(daemon, "why", run_id, job, "--json", cwd=repo))
    assert history["events"], "the started run's job has a history"
    assert history == answer(striatum(daemon, "why", job, "--run-id", run_id, "--json"))


def test_a_run_given_twice_differently_is_a_usage_error_sent_nowhere(operator: Operator) -> None:
    operator.cli("adopt")
    run_id = prepared(operator)
    daemon = operator.daemon
    same = striatum(daemon, "run", "cancel", run_id, "--run-id", run_id, "--json")
    assert same.returncode == 0, same.stderr
    other = prepared(operator)
    for args in (["run", "pause", other, "--run-id", run_id], ["status", other, "--run-id=x"]):
        refused = striatum(daemon, *args)
        assert refused.returncode == USAGE, refused.stderr
        assert "RUN_ID given twice" in refused.stderr and refused.stdout == ""
    assert operator.cli("status", other)["run"]["state"] == "prepared"


def test_latest_is_the_newest_run_of_this_repository(operator: Operator, tmp_path: Path) -> None:
    operator.cli("adopt")
    older, newest = prepared(operator), prepared(operator)
    (tmp_path / "other").mkdir()
    elsewhere = Operator(daemon=operator.daemon, repo=new_repo(tmp_path / "other"))
    elsewhere.cli("adopt")
    prepared(elsewhere)  # newer than both, in another repository
    daemon, repo = operator.daemon, operator.repo
    human = striatum(daemon, "status", "latest", cwd=repo)
    assert human.returncode == 0, human.stderr
    assert f"latest run: {newest} (prepared)" in human.stderr and newest in human.stdout
    for spelled in (["status", "-"], ["status", "--run-id", "latest"]):
        quiet = striatum(daemon, *spelled, "--json", cwd=repo)
        assert answer(quiet)["run"]["run_id"] == newest and quiet.stderr == ""
    by_repo = striatum(daemon, "--repo", str(repo), "run", "cancel", "latest", "--json")
    assert answer(by_repo)["run_id"] == newest
    rows = operator.cli("audit", "list", "--limit", "3", principal=True)["rows"]
    cancel = next(row for row in rows if row["method"] == "run.cancel")
    assert json.dumps(cancel["params"]).count(newest) == 1 and "latest" not in str(cancel)
    assert operator.cli("status", older)["run"]["state"] == "prepared"
    why = striatum(daemon, "why", "latest", "--json", cwd=repo)  # `why ID` names a run too
    events = answer(why)["events"]
    assert events and all(e["run_id"] == newest for e in events)


def test_latest_in_a_repository_with_no_run_says_so(operator: Operator) -> None:
    operator.cli("adopt")
    result = striatum(operator.daemon, "run", "start", "latest", cwd=operator.repo)
    assert result.returncode == NOT_FOUND
    assert "has no run yet" in result.stderr and "Traceback" not in result.stderr
    assert "striatum run prepare" in result.stderr


def test_prepare_start_prepares_and_starts_in_one_command(operator: Operator) -> None:
    operator.cli("adopt")
    workflow = str(example("minimal-flow"))
    result = striatum(
        operator.daemon,
        "run",
        "prepare",
        "--workflow",
        workflow,
        "--start",
        "--no-supervise",
        "--json",
        cwd=operator.repo,
    )
    started = answer(result)
    assert (started["state"], started["started"]) == ("running", True)
    assert f"prepared {started['run_id']}; starting it" in result.stderr
    assert operator.cli("status", started["run_id"])["run"]["state"] == "running"
    alone = striatum(operator.daemon, "run", "prepare", "--workflow", workflow, "--no-supervise")
    assert alone.returncode == USAGE and "--no-supervise goes with --start" in alone.stderr
    assert len(operator.cli("list", "runs")["runs"]) == 1, "the refused prepare made no run"


def test_global_options_may_follow_the_subcommand(operator: Operator) -> None:
    daemon, repo = operator.daemon, operator.repo
    assert answer(striatum(daemon, "whoami", "--as", "principal", "--json"))["role"] == "principal"
    after = striatum(daemon, "whoami", "--json", "--repo", str(repo), "--as", "principal")
    assert answer(after)["role"] == "principal"
    adopted = answer(striatum(daemon, "repo", "list", "--repo", str(repo), "--json"))
    assert adopted == {"repositories": []}
    clash = striatum(daemon, "--as", "operator", "whoami", "--as", "principal")
    assert clash.returncode == USAGE and "--as given twice" in clash.stderr


def test_a_checkpoint_is_decided_by_its_positional_blocker(operator: Operator) -> None:
    run_id = operator.prepare(example("human-checkpoint-flow"))
    operator.plan = {"review": "accept"}
    status = operator.drive(run_id)
    (blocker,) = [b for b in status["open_blockers"] if b["kind"] == "checkpoint"]
    blocker_id = blocker["blocker_id"]
    shown = answer(
        striatum(operator.daemon, "escalation", "show", "--blocker", blocker_id, "--json")
    )
    assert shown == answer(striatum(operator.daemon, "escalation", "show", blocker_id, "--json"))
    decided = striatum(
        operator.daemon,
        "checkpoint",
        "decide",
        blocker_id,
        "--choice",
        "cancel",
        "--as",
        "principal",
        "--json",
    )
    assert decided.returncode == 0, decided.stderr
    assert operator.cli("status", run_id)["open_blockers"] == []


@pytest.mark.parametrize("door", [[], ["--repo", "/"]], ids=["fast path", "click"])
def test_a_refusal_for_the_wrong_role_hints_the_command_that_works(
    daemon: DaemonUnderTest, door: list[str]
) -> None:
    refused = striatum(daemon, *door, "token", "list", "--json")
    assert refused.returncode == FORBIDDEN
    command = ["striatum", *door, "token", "list", "--json", "--as", "principal"]
    assert f"hint: run it as the principal: {shlex.join(command)}" in refused.stderr
    assert answer(striatum(daemon, *command[1:]))["tokens"], "the hinted command works"


def test_the_role_hint_picks_the_least_role_and_only_one_this_user_holds(
    operator: Operator,
) -> None:
    operator.cli("adopt")
    run_id = prepared(operator)
    daemon = operator.daemon
    reader = daemon.json("--as", "principal", "token", "create", "--role", "reader")["secret"]
    refused = striatum(daemon, "run", "cancel", run_id, token=reader)
    assert refused.returncode == FORBIDDEN
    assert f"run it as the operator: striatum run cancel {run_id} --as operator" in refused.stderr
    principal = daemon.runtime_dir / "principal.token"
    hidden = principal.rename(principal.with_suffix(".away"))
    try:
        unhinted = striatum(daemon, "token", "list")
    finally:
        hidden.rename(principal)
    assert unhinted.returncode == FORBIDDEN and "hint" not in unhinted.stderr, unhinted.stderr


def completions(words: str, cword: int, env: dict[str, str] | None = None) -> list[str]:
    """What bash completes for `words` (cursor on word `cword`) with the printed script."""
    script = subprocess.run(
        [str(BIN / "striatum"), "completion", "bash"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    driver = (
        f"{script}\nCOMP_WORDS=({words}); COMP_CWORD={cword}\n"
        '_striatum_completion striatum; printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", driver],
        env={**(env or {"HOME": "/nonexistent"}), "PATH": f"{BIN}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_the_bash_completion_script_completes_verbs_and_options() -> None:
    assert "run" in completions("striatum ru", 1)
    assert {"start", "status"} & set(completions("striatum run sta", 2)) == {"start"}
    assert "--no-supervise" in completions("striatum run start --no", 3)
    assert "checkpoint" in completions("striatum --as principal che", 3)


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts_call_striatum_back(shell: str) -> None:
    printed = subprocess.run(
        [str(BIN / "striatum"), "completion", shell],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert printed.returncode == 0 and "_STRIATUM_COMPLETE" in printed.stdout


def test_local_commands_take_the_run_positionally_and_latest(operator: Operator) -> None:
    """dashboard, supervise and send are written by hand, not generated: the same ids."""
    operator.cli("adopt")
    run_id = prepared(operator)
    daemon, repo = operator.daemon, operator.repo
    for spelled in ([run_id], ["latest"], ["--run-id", run_id]):
        frame = striatum(daemon, "dashboard", *spelled, "--once", cwd=repo)
        assert frame.returncode == 0 and run_id in frame.stdout, frame.stderr
    twice = striatum(daemon, "send", run_id, "draft", "--job", "other", "--message", "hi")
    assert twice.returncode == USAGE and "JOB given twice" in twice.stderr


def test_a_run_id_completes_from_the_daemon(operator: Operator, tmp_path: Path) -> None:
    operator.cli("adopt")
    run_id = prepared(operator)
    env = operator.daemon.env
    assert completions("striatum status run_", 2, env) == [run_id]
    assert completions("striatum job show --run-id ''", 4, env) == ["latest", run_id]
    nowhere = {"HOME": str(tmp_path), "STRIATUM_RUNTIME_DIR": str(tmp_path / "none")}
    assert completions("striatum status run_", 2, nowhere) == [], "no daemon: no candidates"

"""Documented refusals, each checked against the real daemon and database."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.e2e.cli_helpers import run
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, example, new_repo


@pytest.fixture
def operator(daemon: DaemonUnderTest, tmp_path: Path) -> Operator:
    return Operator(daemon=daemon, repo=new_repo(tmp_path))


def test_no_token_at_all_exits_12(daemon: DaemonUnderTest) -> None:
    for role in ("operator", "principal"):
        (daemon.runtime_dir / f"{role}.token").unlink()
    result = daemon.cli("whoami")
    assert result.returncode == 12 and "Traceback" not in result.stderr


def test_landing_over_uncommitted_changes_is_refused(operator: Operator, tmp_path: Path) -> None:
    git = ["git", "-C", str(operator.repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    (operator.repo / "notes.md").write_text("v1\n")
    subprocess.run([*git, "add", "notes.md"], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    run_id = operator.prepare(example("minimal-flow"))
    assert operator.drive(run_id)["run"]["state"] == "succeeded"
    (operator.repo / "notes.md").write_text("v2, not committed\n")
    result = operator.daemon.cli(
        "--repo", str(operator.repo), "--as", "principal", "run", "land", "--run-id", run_id
    )
    assert result.returncode == 5 and "uncommitted changes" in result.stderr


def test_a_run_that_has_not_succeeded_does_not_land(operator: Operator) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    result = operator.daemon.cli("--as", "principal", "run", "land", "--run-id", run_id)
    assert result.returncode == 5 and "only a succeeded run lands" in result.stderr


def test_a_corpus_export_never_writes_into_a_non_empty_directory(
    operator: Operator, tmp_path: Path
) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    out = tmp_path / "busy"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = operator.daemon.cli(
        "--as", "principal", "corpus", "export", "--run-id", run_id, "--out", str(out)
    )
    assert result.returncode == 5 and "not empty" in result.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_send_to_a_job_that_is_not_running_is_refused(operator: Operator) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    result = operator.daemon.cli(
        "--repo",
        str(operator.repo),
        "send",
        "--run-id",
        run_id,
        "--job",
        "draft",
        "--message",
        "hi",
    )
    assert result.returncode == 5 and "only a running agent" in result.stderr


def test_a_review_starter_with_one_provider_is_a_usage_error(tmp_path: Path) -> None:
    result = run(
        [
            "striatum",
            "workflow",
            "init",
            "--style",
            "review",
            "--lanes",
            "codex",
            str(tmp_path / "wf"),
        ],
        tmp_path,
    )
    assert result.returncode == 2 and "second provider" in result.stderr
    assert not (tmp_path / "wf").exists()


def test_a_second_supervisor_of_one_run_is_refused_before_any_work(operator: Operator) -> None:
    """Covered with a live supervisor in test_supervisor; here: the lock file alone."""
    import fcntl

    run_id = operator.prepare(example("minimal-flow"))
    lock = operator.repo / ".striatum" / f"supervisor-{run_id}.lock"
    lock.parent.mkdir(exist_ok=True)
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        result = operator.daemon.cli("supervise", "--run-id", run_id)
    assert result.returncode == 5 and "already has a supervisor" in result.stderr
    assert operator.cli("status", "--run-id", run_id)["jobs"][0]["state"] == "ready"

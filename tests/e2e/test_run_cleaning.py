"""`run clean` removes ended runs' worktrees, branches and scratch; `repo remove` unregisters
a repository and keeps its chain."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from striatum.engine import worktrees
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, example, new_repo


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture
def operator(daemon: DaemonUnderTest, tmp_path: Path) -> Operator:
    repo = new_repo(tmp_path)
    (repo / "README.md").write_text("hello\n")
    _git(repo, "add", "README.md")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start")
    return Operator(daemon=daemon, repo=repo)


def _ended_run(operator: Operator, *, commit_on_branch: bool) -> tuple[str, Path]:
    """A run driven to its end, with the worktree and scratch a supervisor leaves."""
    run_id = operator.prepare(example("minimal-flow"))
    assert operator.drive(run_id)["run"]["state"] == "succeeded"
    repo_id = operator.cli("repo", "list")["repositories"][0]["repo_id"]
    worktree = Path(operator.daemon.env["STRIATUM_HOME"]) / "worktrees" / repo_id / run_id
    worktrees.ensure(operator.repo, run_id, worktree)
    if commit_on_branch:
        (worktree / "work.txt").write_text("the run's work\n")
        _git(worktree, "add", "work.txt")
        _git(worktree, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "work")
    scratch = operator.repo / ".striatum" / "runs" / run_id / "draft" / "attempt-1"
    scratch.mkdir(parents=True)
    (scratch / "stdout.log").write_text("log\n")
    (operator.repo / ".striatum" / f"supervisor-{run_id}.log").write_text("log\n")
    return run_id, worktree


def _clean(operator: Operator, *args: str) -> dict[str, Any]:
    answer: dict[str, Any] = operator.cli("run", "clean", *args, principal=True)
    return answer


def _branch_exists(operator: Operator, run_id: str) -> bool:
    found = subprocess.run(
        ["git", "-C", str(operator.repo), "rev-parse", "--verify", "-q", f"striatum/{run_id}"],
        capture_output=True,
        check=False,
    )
    return found.returncode == 0


def test_a_dry_run_lists_and_removes_nothing_then_yes_removes_a_merged_run(
    operator: Operator,
) -> None:
    run_id, worktree = _ended_run(operator, commit_on_branch=False)
    dry = _clean(operator, "--run-id", run_id)
    assert dry["dry_run"] is True
    (listed,) = dry["runs"]
    assert listed["removes"][:2] == [f"worktree {worktree}", f"branch striatum/{run_id}"]
    assert any(f"runs/{run_id}" in item for item in listed["removes"]) and listed["kept"] == []
    assert worktree.exists() and _branch_exists(operator, run_id)
    done = _clean(operator, "--run-id", run_id, "--yes")
    assert done["dry_run"] is False and done["runs"][0]["removes"] == listed["removes"]
    assert not worktree.exists() and not _branch_exists(operator, run_id)
    assert not (operator.repo / ".striatum" / "runs" / run_id).exists()
    assert not (operator.repo / ".striatum" / f"supervisor-{run_id}.log").exists()
    artifacts = operator.cli("list", "artifacts", "--run-id", run_id)["artifacts"]
    assert artifacts and all((operator.repo / a["path"]).is_file() for a in artifacts)
    events = operator.cli("why", run_id)["events"]
    (cleaned,) = [e for e in events if e["type"] == "run.cleaned"]
    assert cleaned["payload"]["removed"] == listed["removes"]
    assert _clean(operator, "--run-id", run_id, "--yes")["runs"] == []  # nothing left: no event
    report = operator.daemon.json("daemon", "doctor")
    assert report["ok"], report


def test_an_unlanded_branch_is_kept_without_force_and_deleted_with_it(operator: Operator) -> None:
    run_id, worktree = _ended_run(operator, commit_on_branch=True)
    kept = _clean(operator, "--run-id", run_id, "--yes")["runs"][0]
    assert f"branch striatum/{run_id}" not in kept["removes"]
    assert any("not merged" in why and "--force" in why for why in kept["kept"])
    assert not worktree.exists() and _branch_exists(operator, run_id)
    forced = _clean(operator, "--run-id", run_id, "--yes", "--force")["runs"][0]
    assert forced["removes"] == [f"branch striatum/{run_id}"] and forced["kept"] == []
    assert not _branch_exists(operator, run_id)


def test_a_landed_run_loses_its_branch_without_force(operator: Operator) -> None:
    run_id, _ = _ended_run(operator, commit_on_branch=True)
    operator.cli("run", "land", "--run-id", run_id, principal=True)
    assert operator.repo.joinpath("work.txt").is_file()
    done = _clean(operator, "--finished", "--yes")
    assert [r["run_id"] for r in done["runs"]] == [run_id]
    assert f"branch striatum/{run_id}" in done["runs"][0]["removes"]
    assert not _branch_exists(operator, run_id)


def test_a_running_run_is_never_cleaned(operator: Operator) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    refused = operator.daemon.cli(
        "--repo", str(operator.repo), "--as", "principal", "run", "clean", "--run-id", run_id
    )
    assert refused.returncode == 5 and "only an ended run is cleaned" in refused.stderr
    assert _clean(operator, "--finished", "--yes")["runs"] == []


def test_removing_a_repository_refuses_while_a_run_runs_and_keeps_its_chain(
    operator: Operator,
) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    refused = operator.daemon.cli(
        "--repo", str(operator.repo), "--as", "principal", "repo", "remove"
    )
    assert refused.returncode == 5 and run_id in refused.stderr
    operator.drive(run_id)
    stopped = operator.prepare(example("minimal-flow"))
    operator.cli("run", "cancel", stopped, principal=True)
    before = operator.cli("why", run_id)["events"]
    removed = operator.cli("repo", "remove", str(operator.repo), principal=True)
    assert removed["removed"] is True
    assert operator.cli("repo", "list")["repositories"] == []
    (shown,) = operator.cli("repo", "list", "--all")["repositories"]
    assert shown["removed_at"] is not None
    again = operator.daemon.cli(
        "--repo", str(operator.repo), "run", "prepare", "--workflow", str(example("minimal-flow"))
    )
    assert again.returncode == 4 and "was removed" in again.stderr
    assert _clean(operator, "--finished")["dry_run"] is True  # its runs can still be cleaned
    revived = operator.daemon.cli(
        "--repo", str(operator.repo), "--as", "principal", "run", "retry", stopped
    )
    assert revived.returncode == 5 and "was removed" in revived.stderr  # no live run there
    assert operator.cli("status", stopped)["run"]["state"] == "cancelled"
    assert operator.cli("why", run_id)["events"] == before  # the run's history stays
    readopted = operator.cli("adopt")
    assert readopted["repo_id"] == removed["repo_id"] and readopted["already_adopted"] is False
    (listed,) = operator.cli("repo", "list")["repositories"]
    assert listed["removed_at"] is None
    report = operator.daemon.json("daemon", "doctor")
    assert report["ok"], report


def test_a_worktree_with_uncommitted_work_is_kept_without_force(operator: Operator) -> None:
    """Work outside the artifact root that no commit holds is kept (and its branch, which it
    checks out); what agents wrote under the artifact root was published, so it does not
    count."""
    run_id, worktree = _ended_run(operator, commit_on_branch=False)
    (worktree / "docs" / "striatum").mkdir(parents=True)
    (worktree / "docs" / "striatum" / "out.md").write_text("published already\n")
    assert _clean(operator, "--run-id", run_id)["runs"][0]["kept"] == []
    (worktree / "notes.txt").write_text("not committed anywhere\n")
    kept = _clean(operator, "--run-id", run_id, "--yes")["runs"][0]
    assert any("uncommitted changes" in why for why in kept["kept"])
    assert any("its worktree is kept" in why for why in kept["kept"])
    assert worktree.exists() and _branch_exists(operator, run_id)
    forced = _clean(operator, "--run-id", run_id, "--yes", "--force")["runs"][0]
    assert forced["removes"] == [f"worktree {worktree}", f"branch striatum/{run_id}"]
    assert not worktree.exists() and not _branch_exists(operator, run_id)


def test_a_retry_after_the_branch_was_force_cleaned_reruns_the_jobs_whose_commits_went(
    operator: Operator,
) -> None:
    """`run clean --force` deleted an unlanded branch: the commit a succeeded job recorded is
    gone, so a retry that would keep that job succeeded is refused (naming it); a retry from
    it runs it again."""
    run_id = operator.prepare(example("review-flow"))
    packet = operator.claim(run_id)
    assert packet is not None and packet["job"]["job_id"] == "draft"
    lease = packet["lease"]["lease_id"]
    repo_id = operator.cli("repo", "list")["repositories"][0]["repo_id"]
    worktree = Path(operator.daemon.env["STRIATUM_HOME"]) / "worktrees" / repo_id / run_id
    worktrees.ensure(operator.repo, run_id, worktree)
    (worktree / "code.txt").write_text("the draft's code\n")
    _git(worktree, "add", "code.txt")
    _git(
        worktree,
        *("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm"),
        f"draft\n\nStriatum-Lease: {lease}",
    )
    sha = _git(worktree, "rev-parse", "HEAD")
    operator.do_work(packet)
    operator.cli("complete", lease, "--commit", sha)
    operator.cli("run", "cancel", run_id, principal=True)
    _clean(operator, run_id, "--yes", "--force")
    assert not _branch_exists(operator, run_id)
    refused = operator.daemon.cli(
        "--repo", str(operator.repo), "--as", "principal", "run", "retry", run_id
    )
    assert refused.returncode == 5, refused.stderr
    assert "is gone" in refused.stderr and "draft" in refused.stderr
    assert operator.cli("status", run_id)["run"]["state"] == "cancelled"  # nothing changed
    retried = operator.cli(
        "run", "retry", run_id, "--from", "draft", "--no-supervise", principal=True
    )
    assert "draft" in retried["reset"] and retried["state"] == "running"


def test_a_run_whose_supervisor_is_still_there_is_neither_retried_nor_cleaned(
    operator: Operator,
) -> None:
    """A supervised run that ended while its supervisor (here a live stand-in process,
    registered as it would be) has not left yet: `run retry` refuses (exit 5) and `run clean`
    passes it over; once that process is gone, both go ahead."""
    from striatum.lanes import liveness
    from tests.support import rpc

    operator.cli("adopt")
    run_id = operator.cli("run", "prepare", "--workflow", str(example("minimal-flow")))["run_id"]
    stand_in = subprocess.Popen(["sleep", "120"])
    try:
        with rpc.aimed_at(operator.daemon):
            rpc.call("run.start", run_id=run_id)  # supervised; RPC launches no process
            host = rpc.call("daemon.status")["host"]
            session = rpc.call("register-session", role="operator")["session_id"]
            rpc.call(
                "supervisor.register",
                run_id=run_id,
                host=host,
                pid=stand_in.pid,
                identity=liveness.identity(stand_in.pid),
                session=session,
            )
            rpc.call("run.cancel", run_id=run_id, reason="ended", as_role="principal")
        refused = operator.daemon.cli(
            "--repo", str(operator.repo), "--as", "principal", "run", "retry", run_id
        )
        assert refused.returncode == 5, refused.stderr
        assert f"already has a supervisor: it is running (pid {stand_in.pid}" in refused.stderr
        assert operator.cli("status", run_id)["run"]["state"] == "cancelled"  # unchanged
        skipped = _clean(operator, "--finished", "--yes")
        assert skipped["runs"] == [] and skipped["skipped"][0]["run_id"] == run_id
    finally:
        stand_in.kill()
        stand_in.wait()
    assert _clean(operator, "--finished")["skipped"] == []  # gone: cleaned like any other
    with rpc.aimed_at(operator.daemon):
        retried = rpc.call("run.retry", run_id=run_id, as_role="principal")
        assert retried["state"] == "running" and retried["supervise"] is True
        rpc.call("run.cancel", run_id=run_id, reason="done", as_role="principal")

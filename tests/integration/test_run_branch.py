"""The run's branch on a shared remote (lanes/run_branch.py), with real git: two clones of
one bare remote stand for two hosts, each with the run's worktree of its own."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from striatum import errors
from striatum.engine import worktrees
from striatum.lanes import run_branch

RUN = "run_1"


def git(where: Path, *args: str) -> str:
    env_args = ["-c", "user.name=t", "-c", "user.email=t@t"]
    done = subprocess.run(
        ["git", "-C", str(where), *env_args, *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture
def hosts(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A bare remote holding one commit, and two hosts' run worktrees (host A's pushed the
    run's branch first, host B's caught up with it)."""
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    seed = tmp_path / "seed"
    subprocess.run(["git", "clone", "-q", str(remote), str(seed)], check=True)
    (seed / "README.md").write_text("hello\n")
    git(seed, "add", "README.md")
    git(seed, "commit", "-qm", "init")
    git(seed, "push", "-q", "origin", "HEAD")
    trees = []
    for name in ("a", "b"):
        clone = tmp_path / f"clone-{name}"
        subprocess.run(["git", "clone", "-q", str(remote), str(clone)], check=True)
        trees.append(worktrees.ensure(clone, RUN, tmp_path / f"worktree-{name}"))
    run_branch.push(trees[0], "origin", RUN)
    assert run_branch.catch_up(trees[1], "origin", RUN) == git(trees[0], "rev-parse", "HEAD")
    return remote, trees[0], trees[1]


def commit(worktree: Path, name: str, text: str, job: str) -> str:
    (worktree / name).parent.mkdir(parents=True, exist_ok=True)
    (worktree / name).write_text(text)
    sha = worktrees.commit(
        worktree,
        run_id=RUN,
        job_id=job,
        attempt=1,
        lease_id=f"lease_{job}",
        anchor=None,
        scopes=[name],
    )
    assert sha is not None
    return sha


def remote_log(remote: Path) -> list[str]:
    return git(remote, "log", "--format=%s", f"striatum/{RUN}").splitlines()


def test_a_push_race_between_disjoint_scopes_resolves_by_rebase(
    hosts: tuple[Path, Path, Path],
) -> None:
    remote, a, b = hosts
    commit(a, "src/a.py", "a = 1\n", "job-a")
    ours = commit(b, "src/b.py", "b = 1\n", "job-b")
    pushed_a = run_branch.push(a, "origin", RUN)
    pushed_b = run_branch.push(b, "origin", RUN)  # rejected once: rebased, then pushed
    assert pushed_b != ours  # a new id: rebased onto host A's commit
    assert git(remote, "rev-parse", f"striatum/{RUN}") == pushed_b
    assert git(b, "rev-parse", "HEAD~1") == pushed_a
    assert remote_log(remote)[:2] == [
        f"striatum: job-b (attempt 1) of {RUN}",
        f"striatum: job-a (attempt 1) of {RUN}",
    ]
    trailers = git(remote, "log", "-1", "--format=%(trailers:key=Striatum-Job,valueonly)", pushed_b)
    assert trailers == "job-b"
    # Host A catches up: both commits, fast-forwarded.
    assert run_branch.catch_up(a, "origin", RUN) == pushed_b
    assert (a / "src" / "b.py").read_text() == "b = 1\n"


def test_overlapping_changes_are_refused_and_leave_both_sides_as_they_were(
    hosts: tuple[Path, Path, Path],
) -> None:
    remote, a, b = hosts
    commit(a, "README.md", "from a\n", "job-a")
    ours = commit(b, "README.md", "from b\n", "job-b")
    pushed_a = run_branch.push(a, "origin", RUN)
    with pytest.raises(run_branch.PushRefused, match="do not apply on top") as refused:
        run_branch.push(b, "origin", RUN)
    assert refused.value.exit_code == 5
    assert git(remote, "rev-parse", f"striatum/{RUN}") == pushed_a
    assert git(b, "rev-parse", "HEAD") == ours  # the rebase was undone
    assert git(b, "status", "--porcelain") == ""


def test_catching_up_with_a_remote_without_the_run_branch_changes_nothing(
    tmp_path: Path, hosts: tuple[Path, Path, Path]
) -> None:
    _, a, _ = hosts
    head = git(a, "rev-parse", "HEAD")
    assert run_branch.catch_up(a, "origin", "run_other") is None
    assert git(a, "rev-parse", "HEAD") == head


def test_an_unreachable_remote_is_a_clear_error(hosts: tuple[Path, Path, Path]) -> None:
    _, a, _ = hosts
    git(a, "remote", "add", "gone", "/nonexistent/remote.git")
    with pytest.raises(errors.StriatumError, match="cannot reach remote 'gone'"):
        run_branch.catch_up(a, "gone", RUN)
    with pytest.raises(run_branch.PushRefused, match="cannot push"):
        run_branch.push(a, "gone", RUN)


def test_a_rebase_leaves_another_attempts_uncommitted_files_alone(
    hosts: tuple[Path, Path, Path],
) -> None:
    """Host B's worktree has a live attempt's edit not committed yet (a tracked file, and a
    new one): its own finished commit still rebases and pushes, and the edit stays."""
    remote, a, b = hosts
    commit(a, "src/a.py", "a = 1\n", "job-a")
    run_branch.push(a, "origin", RUN)
    commit(b, "src/b.py", "b = 1\n", "job-b")
    (b / "README.md").write_text("a live attempt's edit\n")
    (b / "notes.txt").write_text("new, not committed\n")
    pushed = run_branch.push(b, "origin", RUN)
    assert git(remote, "rev-parse", f"striatum/{RUN}") == pushed
    assert (b / "src" / "a.py").read_text() == "a = 1\n"  # host A's file came in
    assert (b / "README.md").read_text() == "a live attempt's edit\n"
    assert (b / "notes.txt").read_text() == "new, not committed\n"
    assert git(b, "status", "--porcelain") == "M README.md\n?? notes.txt"
    trailers = git(remote, "log", "-1", "--format=%(trailers:key=Striatum-Job,valueonly)", pushed)
    assert trailers == "job-b"


def test_two_hosts_pushing_at_the_same_moment_both_land(hosts: tuple[Path, Path, Path]) -> None:
    """The remote takes one push and refuses the other's ref update: that one fetches,
    rebases and pushes again."""
    remote, a, b = hosts
    for round_ in range(5):
        commit(a, f"src/a{round_}.py", "a\n", f"a{round_}")
        commit(b, f"src/b{round_}.py", "b\n", f"b{round_}")
        with ThreadPoolExecutor(2) as pool:
            landed = list(pool.map(lambda tree: run_branch.push(tree, "origin", RUN), (a, b)))
        tip = git(remote, "rev-parse", f"striatum/{RUN}")
        assert tip in landed
        for tree in (a, b):
            run_branch.catch_up(tree, "origin", RUN)
    files = git(remote, "ls-tree", "-r", "--name-only", f"striatum/{RUN}").splitlines()
    assert {f"src/{side}{n}.py" for side in "ab" for n in range(5)} <= set(files)


def test_a_file_another_host_deleted_or_renamed_leaves_this_worktree_too(
    hosts: tuple[Path, Path, Path],
) -> None:
    remote, a, b = hosts
    git(a, "mv", "README.md", "README.txt")
    git(a, "commit", "-qm", "rename")
    run_branch.push(a, "origin", RUN)
    commit(b, "src/b.py", "b = 1\n", "job-b")
    pushed = run_branch.push(b, "origin", RUN)  # rejected, replayed on the rename
    assert git(remote, "rev-parse", f"striatum/{RUN}") == pushed
    assert not (b / "README.md").exists() and (b / "README.txt").read_text() == "hello\n"
    assert git(b, "status", "--porcelain") == ""


def test_a_commit_and_its_revert_replay_in_order(hosts: tuple[Path, Path, Path]) -> None:
    """Each own commit is merged against its own parent: a revert, then the file made
    again, replay cleanly onto what another host pushed."""
    remote, a, b = hosts
    commit(b, "src/x.py", "x = 1\n", "job-x")
    run_branch.push(b, "origin", RUN)
    git(b, "revert", "--no-edit", "HEAD")
    commit(b, "src/x.py", "x = 2\n", "job-x-again")
    commit(a, "src/a.py", "a = 1\n", "job-a")
    run_branch.catch_up(a, "origin", RUN)
    run_branch.push(a, "origin", RUN)
    pushed = run_branch.push(b, "origin", RUN)
    assert git(remote, "show", f"{pushed}:src/x.py") == "x = 2"
    assert git(remote, "show", f"{pushed}:src/a.py") == "a = 1"

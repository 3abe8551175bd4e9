"""What a run's branch costs to travel between hosts, per call (issue 23, bench.crosshost).

On a bare remote (a file path) and two clones of it, each with a worktree on one run's
branch as `supervise` and `striatum worker` make theirs (lanes/run_branch.py):

- push: clone one commits one small file and `run_branch.push` sends it (a fast-forward);
- catch-up: clone two takes it in (`run_branch.catch_up`, one commit fast-forwarded), then
  again with nothing new (what a round of claims costs when no other host pushed);
- push with rebase: the clones commit and push in turn, neither catching up first, so each
  push is rejected, the remote's branch fetched, the commit rebased onto it and pushed again.

Each figure: median and mean ms per call, and the git processes a call starts (counted
around `integrity.git.run`, through which run_branch runs git); beside them, what one git
process costs (`rev-parse HEAD` in the same worktree).
"""

from __future__ import annotations

import functools
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from unittest import mock

from striatum.engine import worktrees
from striatum.integrity import git
from striatum.lanes import run_branch

T = TypeVar("T")
RUN = "bench-travel"  # the run whose branch travels (no run: run_branch needs only its id)
TRAILER = "--format=%(trailers:key=Striatum-Job,valueonly)"
IDENTITY = ("-c", "user.name=bench", "-c", "user.email=bench@localhost")


class Calls:
    """The time and the git processes of each call timed."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self.processes: list[int] = []

    def time(self, call: Callable[[], T]) -> T:
        counted, real = [0], git.run

        def counting(repo: Path, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
            counted[0] += 1
            return real(repo, *args, **kwargs)

        with mock.patch.object(git, "run", counting):
            started = time.perf_counter()
            result = call()
            self.seconds.append(time.perf_counter() - started)
        self.processes.append(counted[0])
        return result

    def figures(self) -> dict[str, float]:
        return {
            "calls": len(self.seconds),
            "median_ms": round(statistics.median(self.seconds) * 1000, 1),
            "mean_ms": round(statistics.fmean(self.seconds) * 1000, 1),
            "git_processes_per_call": round(statistics.fmean(self.processes), 1),
        }


def git_cli(where: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(where), *IDENTITY, *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def remote_with_clones(root: Path, names: tuple[str, str]) -> tuple[Path, Path, Path]:
    """A bare remote under `root` with one commit, and two clones of it named `names`."""
    remote, first, second = root / "remote.git", root / names[0], root / names[1]
    git_cli(root, "init", "-q", "--bare", str(remote))
    git_cli(root, "clone", "-q", str(remote), str(first))
    (first / "README.md").write_text("hello\n")
    git_cli(first, "add", "README.md")
    git_cli(first, "commit", "-qm", "init")
    git_cli(first, "push", "-q", "origin", "HEAD")
    git_cli(root, "clone", "-q", str(remote), str(second))
    return remote, first, second


def commits_on_branch(repo: Path, run_id: str) -> int:
    """The job commits (a `Striatum-Job` trailer) on the run's branch in `repo`; 0 without one."""
    done = subprocess.run(
        ["git", "-C", str(repo), "log", TRAILER, worktrees.branch(run_id), "--"],
        capture_output=True,
        text=True,
        check=False,
    )
    return len(done.stdout.split()) if done.returncode == 0 else 0


def commit_file(tree: Path, name: str) -> str:
    """One small new file committed in `tree`; the commit."""
    (tree / name).parent.mkdir(parents=True, exist_ok=True)
    (tree / name).write_text(f"{name}\n")
    git_cli(tree, "add", name)
    git_cli(tree, "commit", "-qm", name)
    return git_cli(tree, "rev-parse", "HEAD")


def measure(root: Path, calls: int = 50) -> dict[str, Any]:
    """Every figure, on a remote and clones made under `root`."""
    root.mkdir(parents=True)
    _, one, two = remote_with_clones(root, ("one", "two"))
    tree_one = worktrees.ensure(one, RUN, root / "tree-one")
    run_branch.push(tree_one, run_branch.REMOTE, RUN)
    tree_two = run_branch.worktree(two, run_branch.REMOTE, RUN, root / "tree-two")
    if tree_two is None:
        raise RuntimeError("the run's branch did not reach the remote")
    push_one, push_two = (
        functools.partial(run_branch.push, tree, run_branch.REMOTE, RUN)
        for tree in (tree_one, tree_two)
    )
    catch_up = functools.partial(run_branch.catch_up, tree_two, run_branch.REMOTE, RUN)

    def rev_parse() -> object:  # git.run looked up at the call, so counted as the others
        return git.run(tree_two, "rev-parse", "HEAD")

    pushed, caught, idle, spawn = Calls(), Calls(), Calls(), Calls()
    for n in range(calls):
        commit_file(tree_one, f"one/{n}.txt")
        pushed.time(push_one)
        caught.time(catch_up)
        idle.time(catch_up)
        spawn.time(rev_parse)
    # Tree two pushes first: from here on, each tree pushes behind the other's last commit.
    commit_file(tree_two, "two/lead.txt")
    push_two()
    rebased, moved = Calls(), 0
    for n in range(calls):
        tree, push = (tree_one, push_one) if n % 2 == 0 else (tree_two, push_two)
        made = commit_file(tree, f"{tree.name}/{n}.txt")
        moved += rebased.time(push) != made  # rebased: a new id
    return {
        "push": pushed.figures(),
        "catch_up_one_commit": caught.figures(),
        "catch_up_nothing_new": idle.figures(),
        "push_rejected_then_rebased": {**rebased.figures(), "rebased": moved},
        "one_git_process": spawn.figures(),
    }

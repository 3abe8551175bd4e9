"""The run's branch on a shared git remote: how attempts made on different hosts meet.

Each host works in a worktree of its own checkout, on the run's branch (`striatum/<run>`).
The remote's copy of that branch is the one the hosts agree on: before an attempt a host
catches up with it (`catch_up`), and after a successful attempt it pushes its commit there
(`push`) before the job completes, so the commit the daemon records is on the remote.

A push is rejected when another host moved the branch meanwhile. The two attempts' write
scopes are disjoint (the database refuses a claim whose scope overlaps a live lease's), so
the host rebases its own commits onto the remote's tip and pushes again: the commits keep
their messages and trailers, and get new ids. A rebase that stops on a conflict (scopes that
were not disjoint after all: a file outside them, or a forced push) is undone, and
`PushRefused` says why; the worktree is left as it was before the rebase.

Git runs as `integrity.git` runs it: the caller's GIT_* variables dropped, no hooks, no
prompts, bounded in time.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from striatum import errors
from striatum.engine import worktrees
from striatum.integrity import git

REMOTE = "origin"  # the remote a run's branch travels through, unless its workflow names one
PUSH_TRIES = 5  # rejections in a row before giving up (each means another host pushed)


class PushRefused(errors.Conflict):
    """The run's branch could not be pushed to its remote."""


def tracking_ref(remote: str, run_id: str) -> str:
    """Where this clone keeps its copy of the remote's run branch."""
    return f"refs/remotes/{remote}/{worktrees.branch(run_id)}"


def fetch(worktree: Path, remote: str, run_id: str) -> str | None:
    """Fetch the remote's run branch; its tip, or None when the remote has no such branch."""
    branch = worktrees.branch(run_id)
    listed = git.run(worktree, "ls-remote", "--heads", remote, f"refs/heads/{branch}")
    if listed.returncode != 0:
        raise errors.StriatumError(
            f"cannot reach remote {remote!r} from {worktree}: {git.said(listed)}"
        )
    if not listed.stdout.strip():
        return None
    refspec = f"+refs/heads/{branch}:{tracking_ref(remote, run_id)}"
    _checked(worktree, "fetch", "--quiet", "--no-tags", remote, refspec)
    return git.output(worktree, "rev-parse", tracking_ref(remote, run_id)).strip()


def worktree(checkout: Path, remote: str, run_id: str, path: Path) -> Path | None:
    """A host's worktree of the run's branch as the remote holds it (its local branch made at
    the remote's tip when this clone has none), caught up; None when the remote has no run
    branch yet."""
    tip = fetch(checkout, remote, run_id)
    if tip is None:
        return None
    if worktrees.branch_tip(checkout, run_id) is None:
        _checked(checkout, "branch", worktrees.branch(run_id), tip)
    made = worktrees.ensure(checkout, run_id, path)
    catch_up(made, remote, run_id)
    return made


def catch_up(worktree: Path, remote: str, run_id: str) -> str | None:
    """Bring the worktree's branch up to the remote's: fast-forward, or (commits of this
    host not pushed yet) rebase them onto it. The new head; None when the remote has no run
    branch yet (nothing to catch up with)."""
    tip = fetch(worktree, remote, run_id)
    if tip is None:
        return None
    _rebase_onto(worktree, tip, remote)
    return git.output(worktree, "rev-parse", "HEAD").strip()


def push(worktree: Path, remote: str, run_id: str, *, tries: int = PUSH_TRIES) -> str:
    """Push the worktree's head to the remote's run branch, rebasing onto what other hosts
    pushed meanwhile; the head that landed there (new ids when rebased)."""
    target = f"HEAD:refs/heads/{worktrees.branch(run_id)}"
    for _ in range(tries):
        done = git.run(worktree, "push", "--quiet", "--porcelain", remote, target)
        if done.returncode == 0:
            return git.output(worktree, "rev-parse", "HEAD").strip()
        if not _rejected(done):
            raise PushRefused(
                f"cannot push {worktrees.branch(run_id)} to {remote!r}: {git.said(done)}"
            )
        tip = fetch(worktree, remote, run_id)
        if tip is not None:
            _rebase_onto(worktree, tip, remote)
    raise PushRefused(
        f"{worktrees.branch(run_id)} on {remote!r} kept moving: {tries} pushes rejected in a row",
        hint="other hosts push to the run's branch faster than this one can rebase; retry",
    )


def drop_head(worktree: Path) -> None:
    """Take the head commit (one that was never pushed) off the branch, leaving its files in
    the working tree: what put them there failed, and its clean-up puts them back."""
    _checked(worktree, "reset", "--quiet", "--mixed", "HEAD~1")


def _rebase_onto(worktree: Path, tip: str, remote: str) -> None:
    """Put this branch's own commits on top of `tip` (a fast-forward when it has none)."""
    if _ancestor(worktree, tip, "HEAD"):
        return  # the remote has nothing this branch lacks
    if _ancestor(worktree, "HEAD", tip):
        _checked(worktree, "merge", "--quiet", "--ff-only", tip)
        return
    done = git.run(worktree, "rebase", "--quiet", tip, env=git.IDENTITY)
    if done.returncode != 0:
        git.run(worktree, "rebase", "--abort")
        raise PushRefused(
            f"this host's commits do not apply on top of {remote}'s run branch "
            f"({tip[:12]}): {git.said(done)}",
            hint="two attempts changed the same files: their write scopes overlap",
        )


def _ancestor(worktree: Path, older: str, newer: str) -> bool:
    return git.run(worktree, "merge-base", "--is-ancestor", older, newer).returncode == 0


def _rejected(done: subprocess.CompletedProcess[str]) -> bool:
    """Whether a push failed because the remote's branch moved (not for want of access)."""
    text = f"{done.stdout}\n{done.stderr}"
    return "[rejected]" in text or "non-fast-forward" in text or "fetch first" in text


def _checked(worktree: Path, *args: str) -> None:
    done = git.run(worktree, *args, env=git.IDENTITY)
    if done.returncode != 0:
        raise errors.StriatumError(f"git {args[0]} failed in {worktree}: {git.said(done)}")

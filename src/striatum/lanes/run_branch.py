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
PUSH_TRIES = 5
LITERAL = (
    "--literal-pathspecs"  # rejections in a row before giving up (each means another host pushed)
)


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


def fork_point(worktree: Path, other: str) -> str:
    """Where the worktree's branch and `other` (a commit) part: their merge base."""
    return git.output(worktree, "merge-base", "HEAD", other).strip()


def drop_head(worktree: Path) -> None:
    """Take the head commit (one that was never pushed) off the branch, leaving its files in
    the working tree: what put them there failed, and its clean-up puts them back."""
    _checked(worktree, "reset", "--quiet", "--mixed", "HEAD~1")


def _rebase_onto(worktree: Path, tip: str, remote: str) -> None:
    """Put this branch's own commits on top of `tip` (a fast-forward when it has none).

    Not `git rebase`, which refuses a worktree where another live attempt has files not
    committed yet: each own commit is merged onto the new base in git's object store alone
    (`merge-tree`, then `commit-tree` with its message and author), then the branch moves
    there and only the files that changed come into the index and the working tree. The
    other attempts' files are never touched (their scopes are disjoint from the ones that
    changed)."""
    if _ancestor(worktree, tip, "HEAD"):
        return  # the remote has nothing this branch lacks
    if _ancestor(worktree, "HEAD", tip):
        _checked(worktree, "merge", "--quiet", "--ff-only", tip)
        return
    own = git.output(worktree, "rev-list", "--reverse", f"{tip}..HEAD").split()
    base = tip
    for commit in own:
        base = _replayed(worktree, commit, base, remote)
    _move_to(worktree, base)


def _replayed(worktree: Path, commit: str, base: str, remote: str) -> str:
    """`commit` made again on top of `base`: the new commit's id."""
    merged = git.run(worktree, "merge-tree", "--write-tree", "--no-messages", base, commit)
    if merged.returncode == 1:  # the tree, then the conflicted paths
        conflicted = ", ".join(line for line in merged.stdout.splitlines()[1:] if line)
        raise PushRefused(
            f"this host's commits do not apply on top of {remote}'s run branch "
            f"({base[:12]}): {conflicted or 'conflict'}",
            hint="two attempts changed the same files: their write scopes overlap",
        )
    if merged.returncode != 0:
        raise errors.StriatumError(f"git merge-tree failed in {worktree}: {git.said(merged)}")
    tree = merged.stdout.splitlines()[0]
    fields = git.output(worktree, "log", "-1", "--format=%an%x00%ae%x00%ad%x00%B", commit)
    name, email, date, message = fields.split("\0", 3)
    author = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": date}
    made = git.run(
        worktree,
        "commit-tree",
        "--no-gpg-sign",
        "-p",
        base,
        "-F",
        "-",
        tree,
        stdin=message.rstrip("\n") + "\n",
        env={**git.IDENTITY, **author},
    )
    if made.returncode != 0:
        raise errors.StriatumError(f"git commit-tree failed in {worktree}: {git.said(made)}")
    return made.stdout.strip()


def _move_to(worktree: Path, commit: str) -> None:
    """Move the branch to `commit`, bringing into the index and the working tree only the
    files that differ between the old head and it."""
    changed = git.output(worktree, "diff", "--name-only", "-z", "HEAD", commit).split("\0")
    changed = [name for name in changed if name]
    _checked(worktree, "reset", "--quiet", "--soft", commit)
    present = (
        set(
            git.output(
                worktree, "ls-tree", "-r", "-z", "--name-only", commit, "--", *changed
            ).split("\0")
        )
        if changed
        else set()
    )
    kept = [name for name in changed if name in present]
    gone = [name for name in changed if name not in present]
    if kept:
        _checked(worktree, "checkout", commit, "--", *kept)
    if gone:
        _checked(worktree, "rm", "--quiet", "--ignore-unmatch", "--", *gone)


def _ancestor(worktree: Path, older: str, newer: str) -> bool:
    return git.run(worktree, "merge-base", "--is-ancestor", older, newer).returncode == 0


def _rejected(done: subprocess.CompletedProcess[str]) -> bool:
    """Whether a push failed because the remote's branch moved (not for want of access)."""
    text = f"{done.stdout}\n{done.stderr}"
    moved = ("[rejected]", "non-fast-forward", "fetch first")
    # Two hosts' pushes at the same moment: the remote updated its ref for one of them.
    raced = ("cannot lock ref", "incorrect old value", "failed to update ref")
    return any(sign in text for sign in moved + raced)


def _checked(worktree: Path, *args: str) -> str:
    """A git command's stdout; its failure a StriatumError quoting git."""
    done = git.run(worktree, *args, env=git.IDENTITY)
    if done.returncode != 0:
        verb = next(arg for arg in args if not arg.startswith("-"))
        raise errors.StriatumError(f"git {verb} failed in {worktree}: {git.said(done)}")
    return done.stdout

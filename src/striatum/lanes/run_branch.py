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

import random
import subprocess
import tempfile
import time
from pathlib import Path

from striatum import errors
from striatum.engine import files, worktrees
from striatum.integrity import git

REMOTE = "origin"  # the remote a run's branch travels through, unless its workflow names one
PUSH_TRIES = 20  # rejections in a row before giving up (each means another host pushed)
BACKOFF_S = 0.02  # times the rejections so far: the most a host waits, at random, to retry


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
    for rejected in range(tries):
        done = git.run(worktree, "push", "--quiet", "--porcelain", remote, target)
        if done.returncode == 0:
            return git.output(worktree, "rev-parse", "HEAD").strip()
        if not _rejected(done):
            raise PushRefused(
                f"cannot push {worktrees.branch(run_id)} to {remote!r}: {git.said(done)}"
            )
        # Two hosts that keep pushing in step keep losing to each other: a random wait,
        # longer after each rejection, lets one through.
        time.sleep(random.uniform(0, BACKOFF_S * rejected))
        tip = fetch(worktree, remote, run_id)
        if tip is not None:
            _rebase_onto(worktree, tip, remote)
    raise PushRefused(
        f"{worktrees.branch(run_id)} on {remote!r} kept moving: {tries} pushes rejected in a row",
        hint="other hosts push to the run's branch faster than this one can rebase; retry",
    )


def take_in_published(checkout: Path, workdir: Path, root: str) -> None:
    """The artifacts the run's branch holds that its hosts published (since it parted from
    the checkout's HEAD), copied into this host's checkout, where this host's daemon reads
    them: for a worker joining a run, or a supervisor starting again."""
    fork = git.output(workdir, "merge-base", "HEAD", worktrees.head(checkout)).strip()
    for name in worktrees.changed_between(workdir, fork, "HEAD", root):
        files.copy_from_worktree(workdir, checkout, name, root)


def drop_head(worktree: Path) -> None:
    """Take the head commit (one that was never pushed) off the branch, leaving its files in
    the working tree: what put them there failed, and its clean-up puts them back."""
    _checked(worktree, "reset", "--quiet", "--mixed", "HEAD~1")


def _rebase_onto(worktree: Path, tip: str, remote: str) -> None:
    """Put this branch's own commits on top of `tip` (a fast-forward when it has none).

    Not `git rebase`, which refuses a worktree where another live attempt has files not
    committed yet: each own commit is made again on top of the new base in a scratch index
    (`_replayed`), then the branch moves there with a two-tree `read-tree`, which brings
    into the index and the working tree only the files that differ (deletions and renames
    included) and refuses, touching nothing, if one of them is another attempt's
    uncommitted file (their scopes are disjoint, so it does not happen)."""
    if _ancestor(worktree, tip, "HEAD"):
        return  # the remote has nothing this branch lacks
    if _ancestor(worktree, "HEAD", tip):
        _checked(worktree, "merge", "--quiet", "--ff-only", tip)
        return
    own = git.output(worktree, "rev-list", "--reverse", f"{tip}..HEAD").split()
    base = tip
    with tempfile.TemporaryDirectory(prefix="striatum-replay-") as scratch:
        index = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        for commit in own:
            base = _replayed(worktree, commit, base, remote, index)
    _checked(worktree, "read-tree", "-m", "-u", "HEAD", base)
    _checked(worktree, "reset", "--quiet", "--soft", base)


def _replayed(worktree: Path, commit: str, base: str, remote: str, index: dict[str, str]) -> str:
    """`commit` made again on top of `base`, merged against its own parent in the scratch
    `index` (a three-way read-tree: a file changed on both sides is a conflict, which is
    PushRefused naming it): the new commit's id, with the message, trailers and author of
    `commit`. No working tree is touched and no file is checked out: it is quick, so a
    host replays before the other host pushes again."""
    merged = git.run(
        worktree, "read-tree", "-m", "--aggressive", f"{commit}~1", base, commit, env=index
    )
    written = git.run(worktree, "write-tree", env=index) if merged.returncode == 0 else merged
    if written.returncode != 0:
        unmerged = git.run(worktree, "ls-files", "-u", "-z", env=index).stdout.split("\0")
        names = sorted({entry.split("\t", 1)[1] for entry in unmerged if "\t" in entry})
        raise PushRefused(
            f"this host's commits do not apply on top of {remote}'s run branch "
            f"({base[:12]}): {', '.join(names) or git.said(written)}",
            hint="two attempts changed the same files: their write scopes overlap",
        )
    fields = git.output(worktree, "log", "-1", "--format=%an%x00%ae%x00%aI%x00%B", commit)
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
        written.stdout.strip(),
        stdin=message.rstrip("\n") + "\n",
        env={**git.IDENTITY, **author},
    )
    if made.returncode != 0:
        raise errors.StriatumError(f"git commit-tree failed in {worktree}: {git.said(made)}")
    return made.stdout.strip()


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

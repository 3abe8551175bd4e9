"""The anchors ref (`ref_anchors.REF`) to and from a remote: plain clones, pushes and fetches
do not carry `refs/striatum/*`. Both directions move a ref only by fast-forward, never forced:
a fetch that would not fast-forward is refused and changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from striatum import errors
from striatum.integrity import git
from striatum.integrity.ref_anchors import REF, swap, tip_of


@dataclass(frozen=True, kw_only=True)
class Transfer:
    """What a push or fetch did: the ref's tip on the receiving side afterwards, and whether
    it moved."""

    remote: str
    tip: str | None
    moved: bool


def push(repo: Path, remote: str) -> Transfer:
    """`git push REMOTE REF:REF`: the remote's ref moves only by fast-forward (never forced);
    `errors.Conflict` when the remote holds anchors this ref does not contain,
    `errors.NotFound` when there is nothing to push or the remote cannot be reached."""
    tip = _local_tip(repo, remote)
    if tip is None:
        raise errors.NotFound(f"no anchors to push: {repo} has no {REF}")
    done = git.run(
        repo,
        "push",
        "--porcelain",
        "--no-verify",
        "--no-recurse-submodules",
        remote,
        f"{REF}:{REF}",
    )
    # --porcelain: one "<flag>\t<src>:<dst>\t<summary>" line per ref; "!" rejected, "=" same
    status = [line.split("\t") for line in done.stdout.splitlines() if "\t" in line]
    flag, summary = (status[0][0], status[0][-1]) if status else ("", "")
    if flag == "!":
        raise errors.Conflict(
            f"{remote} refused {REF}: {summary}",
            hint=f"its anchors do not extend this repository's; run `striatum anchors fetch "
            f"--remote {remote}` to see why",
        )
    if done.returncode != 0:
        raise errors.NotFound(f"cannot push {REF} to {remote}: {git.said(done)}")
    return Transfer(remote=remote, tip=tip, moved=flag != "=")


def fetch(repo: Path, remote: str) -> Transfer:
    """Bring the remote's ref here when it extends this one (a fast-forward, compared and
    swapped); `errors.Conflict`, changing nothing, when it does not (the histories diverged,
    or one was rewritten), `errors.NotFound` when the remote has no anchors or cannot be
    reached. A remote behind this ref changes nothing."""
    local = _local_tip(repo, remote)
    fetched = _fetched(repo, remote)
    if local is None or (local != fetched and _holds(repo, fetched, local)):
        swap(repo, fetched, local)
        return Transfer(remote=remote, tip=fetched, moved=True)
    if _holds(repo, local, fetched):  # the same, or the remote is behind
        return Transfer(remote=remote, tip=local, moved=False)
    raise errors.Conflict(
        f"{remote}'s {REF} ({fetched[:12]}) does not extend this repository's "
        f"({local[:12]}); nothing was changed",
        hint="one side recorded anchors the other lacks, or rewrote them: compare "
        f"`git log {fetched[:12]}` with `striatum anchors show`",
    )


def _fetched(repo: Path, remote: str) -> str:
    """The remote's tip, fetched into a ref of this call's own (FETCH_HEAD is shared with
    whatever else fetches here meanwhile), which is gone again on return."""
    scratch = f"refs/striatum-incoming/{uuid.uuid4().hex}"
    try:
        done = git.run(
            repo,
            "fetch",
            "--no-tags",
            "--no-recurse-submodules",
            "--no-write-fetch-head",
            "--no-prune",
            "--refmap=",  # a configured `+refs/striatum/*:...` must not force our ref too
            remote,
            f"+{REF}:{scratch}",
        )  # forced into the scratch ref only: it holds nothing before
        if done.returncode != 0:
            raise errors.NotFound(f"cannot fetch {REF} from {remote}: {git.said(done)}")
        found = git.run(repo, "rev-parse", "--verify", "-q", f"{scratch}^{{commit}}")
        if found.returncode != 0:
            raise errors.IntegrityFailure(f"{remote}'s {REF} does not name a commit")
        return found.stdout.strip()
    finally:
        git.run(repo, "update-ref", "-d", scratch)


def _holds(repo: Path, tip: str, sha: str) -> bool:
    return git.run(repo, "merge-base", "--is-ancestor", sha, tip).returncode == 0


def _local_tip(repo: Path, remote: str) -> str | None:
    if remote.startswith("-") or not remote:
        raise errors.UsageError(f"not a remote: {remote!r}")
    if not git.is_repository(repo):
        raise errors.NotFound(f"{repo} is not a git repository")
    return tip_of(repo)

"""Chain heads kept in the repository itself, as a commit chain under `refs/striatum/anchors`.

Each commit has the empty tree, the previous tip as its one parent, a fixed identity, and a
message naming the highest anchored head of every chain the ref knows (so the tip alone says
what is anchored; the history says how it got there):

    striatum anchors: 1 chain head

    Striatum-Anchor: repo:<repo_id> <seq> <row_hash>

Only git plumbing is used (mktree, commit-tree, update-ref with the old value): the working
tree, the index and HEAD are never touched and no hook runs. Clones and pushes do not carry
`refs/striatum/*` unless asked: `ref_remote` moves the ref to and from a remote.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from striatum import errors
from striatum.integrity import git
from striatum.model.chain import Head

REF = "refs/striatum/anchors"
TRAILER = "Striatum-Anchor"
SUBJECT = "striatum anchors"
ATTEMPTS = 3  # compare-and-swap rounds before a busy ref is reported as a conflict
_LINE = re.compile(rf"{TRAILER}: (\S+) ([1-9][0-9]*) ([0-9a-f]{{64}})")
_SHA = re.compile(r"[0-9a-f]{7,64}")


@dataclass(frozen=True, kw_only=True)
class RefAnchors:
    """What the ref holds: the highest anchored head per chain over its whole history, what
    in that history does not hold together (each problem names its commit), and its tip."""

    heads: dict[str, Head] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    tip: str | None = None


def read(repo: Path) -> RefAnchors:
    """The ref's anchored heads and the problems of its history (empty when there is no
    ref, or no repository). Walks the whole ref once: one small commit per anchoring."""
    if not git.is_repository(repo):
        return RefAnchors()
    try:
        tip = tip_of(repo)
    except errors.IntegrityFailure as failure:
        raw = git.output(repo, "rev-parse", "--verify", "-q", REF).strip()
        return RefAnchors(problems=[failure.message], tip=raw)
    if tip is None:
        return RefAnchors()
    log = git.output(repo, "log", "-z", "--reverse", "--topo-order", "--format=%H %P%n%B", tip)
    return _history([entry for entry in log.split("\0") if entry.strip()], tip)


def _history(entries: list[str], tip: str) -> RefAnchors:
    best: dict[str, tuple[Head, str]] = {}  # chain -> highest head so far, and its commit
    problems: list[str] = []
    for entry in entries:
        first, _, body = entry.partition("\n")
        if not first.split():  # not git's record shape (git prints messages up to a NUL)
            problems.append(f"{REF} holds a commit git cannot list: {entry[:60]!r}")
            continue
        sha, *parents = first.split()
        if len(parents) > 1:
            problems.append(f"commit {sha} merges {len(parents)} parents; {REF} is one line")
        heads = parse(body)
        if heads is None:
            problems.append(f"commit {sha} is not an anchor record (its message does not parse)")
            continue
        problems += _regressions(sha, heads, best)
        for name, head in heads.items():
            if name not in best or head.seq > best[name][0].seq:
                best[name] = (head, sha)
    heads = {name: head for name, (head, _) in sorted(best.items())}
    return RefAnchors(heads=heads, problems=problems, tip=tip)


def _regressions(
    sha: str, heads: Mapping[str, Head], best: dict[str, tuple[Head, str]]
) -> list[str]:
    """How commit `sha` goes back on what earlier commits anchored."""
    found = []
    for name, (before, where) in best.items():
        now = heads.get(name)
        if now is None:
            found.append(f"commit {sha} drops {name}, anchored at seq {before.seq} by {where}")
        elif now.seq < before.seq:
            found.append(
                f"commit {sha} anchors {name} at seq {now.seq}, below seq {before.seq} "
                f"anchored by {where}"
            )
        elif now.seq == before.seq and now.row_hash != before.row_hash:
            found.append(
                f"commit {sha} anchors {name} at seq {now.seq} with hash {now.row_hash}, "
                f"where {where} anchored {before.row_hash}"
            )
    return found


def record(repo: Path, heads: Mapping[str, Head]) -> str | None:
    """Append one commit anchoring `heads` on top of the tip (carrying forward the chains the
    tip names) and move the ref to it only if it still points at that tip; the new commit.

    None, without raising, when `repo` is missing or not a git repository, or when no head
    advances past what the tip anchors (a head at or below the tip's seq is never written:
    the ref only moves forward). Another writer's commit in between is built on, up to
    ATTEMPTS times, then `errors.Conflict`; a git failure is a StriatumError, and so is a
    ref that names no commit (`errors.IntegrityFailure`) or a head that cannot be written
    (`errors.ValidationError`: a chain name with spaces, a row_hash not 64 lowercase hex).
    """
    wanted = {name: head for name, head in heads.items() if head.seq > 0}
    for name, head in wanted.items():
        if not _LINE.fullmatch(f"{TRAILER}: {name} {head.seq} {head.row_hash}"):
            raise errors.ValidationError(f"not a chain head to anchor: {name!r} {head}")
    if not git.is_repository(repo):
        return None
    for _ in range(ATTEMPTS):
        tip = tip_of(repo)
        current = _tip_heads(repo, tip)
        merged = advanced(current, wanted)
        if merged == current:
            return None
        made = commit(repo, merged, parent=tip)
        try:
            swap(repo, made, tip)
        except errors.Conflict:
            continue
        return made
    raise errors.Conflict(f"{REF} in {repo} kept moving while anchors were recorded")


def advanced(current: Mapping[str, Head], heads: Mapping[str, Head]) -> dict[str, Head]:
    """`current` with every head of `heads` that lies beyond it."""
    merged = dict(current)
    for name, head in heads.items():
        if name not in merged or head.seq > merged[name].seq:
            merged[name] = head
    return dict(sorted(merged.items()))


def commit(repo: Path, heads: Mapping[str, Head], *, parent: str | None) -> str:
    """A commit object anchoring `heads` with `parent` (no ref names it yet)."""
    tree = git.output(repo, "mktree").strip()  # the empty tree, written if missing
    where = ["-p", parent] if parent else []
    return git.output(
        repo, "commit-tree", "--no-gpg-sign", *where, tree, stdin=message(heads), env=git.IDENTITY
    ).strip()


def swap(repo: Path, new: str, old: str | None) -> None:
    """Point the ref at `new` if it still points at `old` (absent when None);
    `errors.Conflict` when it moved meanwhile. Logged in the ref's reflog, which git keeps
    for refs outside refs/heads only when asked: a tip lost to a forced fetch stays found."""
    done = git.run(repo, "update-ref", "--create-reflog", "-m", SUBJECT, REF, new, old or "")
    if done.returncode != 0:
        raise errors.Conflict(f"{REF} in {repo} moved meanwhile: {git.said(done)}")


def message(heads: Mapping[str, Head]) -> str:
    count = f"{len(heads)} chain head" + ("s" if len(heads) != 1 else "")
    lines = [f"{TRAILER}: {name} {h.seq} {h.row_hash}" for name, h in sorted(heads.items())]
    return f"{SUBJECT}: {count}\n\n" + "\n".join(lines) + "\n"


def parse(text: str) -> dict[str, Head] | None:
    """The heads a commit message anchors; None when it is not one `message` writes."""
    subject, _, body = text.strip().partition("\n")
    if not subject.startswith(f"{SUBJECT}:"):
        return None
    heads: dict[str, Head] = {}
    for line in filter(None, (line.strip() for line in body.splitlines())):
        matched = _LINE.fullmatch(line)
        if matched is None or matched[1] in heads:
            return None
        heads[matched[1]] = Head(seq=int(matched[2]), row_hash=matched[3])
    return heads or None


def tip_of(repo: Path) -> str | None:
    """The ref's commit; None when there is no such ref.

    The ref is read once and its object's type asked of that object: asking the ref twice
    raced with the daemon creating it in between (missing, then present: "not a commit")."""
    done = git.run(repo, "rev-parse", "--verify", "-q", REF)
    if done.returncode != 0:
        return None
    sha = done.stdout.strip()
    if git.run(repo, "cat-file", "-t", sha).stdout.strip() != "commit":
        raise errors.IntegrityFailure(f"{REF} in {repo} does not name a commit")
    return sha


def tip_heads(repo: Path) -> dict[str, Head]:
    """What the tip anchors (every chain the ref knows): the cheap read, no history walk."""
    if not git.is_repository(repo):
        return {}
    return _tip_heads(repo, tip_of(repo))


def _tip_heads(repo: Path, tip: str | None) -> dict[str, Head]:
    if tip is None:
        return {}
    return parse(git.output(repo, "log", "-1", "--format=%B", tip)) or {}


def contains(repo: Path, sha: str) -> bool:
    """Whether the ref still holds commit `sha` (its tip or an ancestor): False when the ref,
    the repository or the commit is gone, or the ref was rewritten past it."""
    if not _SHA.fullmatch(sha) or not git.is_repository(repo):
        return False
    done = git.run(repo, "merge-base", "--is-ancestor", sha, REF)
    return done.returncode == 0

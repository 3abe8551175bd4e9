"""The run's git worktree: agents work on branch `striatum/<run-id>`, never in the user's tree.

A job's changes inside its write scope (outside the artifact root, which is published into
the repository instead) are committed on that branch before the job completes, with trailers
naming the run, the job, the attempt, the lease, and the repository chain's head hash and
seq (an anchor of the event chain outside the database); `complete` then records the commit
in the `job.succeeded` event. Nothing outside the job's scope is committed, and symlinks
never are. `run land` merges the branch: the merge commit is prepared inside the transaction
(objects only, no ref moves), the `run.landed` event names it, and the checked-out branch is
fast-forwarded to it after commit (`prepare_land`, `finish_land`).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from striatum import errors

EMAIL = "striatum@localhost"  # the committer of every commit Striatum makes
IDENTITY = ("-c", "user.name=Striatum", "-c", f"user.email={EMAIL}")


def branch(run_id: str) -> str:
    return f"striatum/{run_id}"


def usable(repo: Path) -> bool:
    """A git work tree with at least one commit (a branch needs somewhere to start)."""
    inside = _git(repo, "rev-parse", "--is-inside-work-tree", check=False).returncode == 0
    return inside and _git(repo, "rev-parse", "--verify", "HEAD", check=False).returncode == 0


def ensure(repo: Path, run_id: str, path: Path) -> Path:
    """The run's worktree at `path` (`paths.worktree`): on the run's branch when it exists
    (a worktree removed by `run clean` or by hand comes back with every commit of the run),
    else on a new branch from HEAD. Never `-B`: that would move an existing branch to HEAD
    and drop the run's commits."""
    if (path / ".git").exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    _git(repo, "worktree", "prune")  # a worktree deleted by hand is forgotten first
    if branch_tip(repo, run_id) is not None:
        _git(repo, "worktree", "add", "-f", str(path), branch(run_id))
    else:
        _git(repo, "worktree", "add", "-f", "-b", branch(run_id), str(path), "HEAD")
    return path


def commit(
    worktree: Path,
    *,
    run_id: str,
    job_id: str,
    attempt: int,
    lease_id: str,
    anchor: str | None,
    scopes: list[str],
    anchor_seq: int | None = None,
) -> str | None:
    """Commit the job's changes inside `scopes`; None when it changed nothing there.

    `anchor` is the chain head's row_hash (`Striatum-Event`, "none" for an empty chain) and
    `anchor_seq` its seq, carried in a trailer of its own (`Striatum-Event-Seq`) so readers
    of `Striatum-Event` alone see what they always saw."""
    scopes = present(worktree, scopes)
    if not scopes:
        return None
    _git(worktree, "add", "-A", "--", *scopes)
    staged = _git(worktree, "diff", "--cached", "--name-only", "-z").stdout.split("\0")
    links = [name for name in staged if name and (worktree / name).is_symlink()]
    if links:
        _git(worktree, "reset", "-q", "--", *scopes)
        raise errors.ValidationError(
            f"{job_id} left symlinks in its scope: {', '.join(links)}; they are never committed"
        )
    if not any(staged):
        return None
    message = (
        f"striatum: {job_id} (attempt {attempt}) of {run_id}\n\n"
        f"Striatum-Run: {run_id}\nStriatum-Job: {job_id}\nStriatum-Attempt: {attempt}\n"
        f"Striatum-Lease: {lease_id}\nStriatum-Event: {anchor or 'none'}\n"
    )
    if anchor and anchor_seq is not None:
        message += f"Striatum-Event-Seq: {anchor_seq}\n"
    _git(worktree, *IDENTITY, "commit", "-q", "--no-verify", "-m", message, "--", *scopes)
    return _git(worktree, "rev-parse", "HEAD").stdout.strip()


def changed_between(worktree: Path, old: str, new: str, under: str) -> list[str]:
    """Files under `under` that exist at `new` and differ from `old` (added or changed)."""
    done = _git(worktree, "diff", "--name-only", "-z", "--diff-filter=d", old, new, "--", under)
    return [name for name in done.stdout.split("\0") if name]


def present(worktree: Path, scopes: list[str]) -> list[str]:
    """The scopes git can be asked about: on disk, or tracked (then deleted)."""
    return [
        scope
        for scope in scopes
        if (worktree / scope).exists() or _git(worktree, "ls-files", "--", scope).stdout.strip()
    ]


def changed(worktree: Path, *, besides: str | None = None) -> list[str]:
    """Every path that differs from HEAD (tracked changes and untracked files, ignored ones
    excepted), as git names them; none inside the folder `besides` (see head_and_changes)."""
    return head_and_changes(worktree, besides=besides)[1]


def head_and_changes(worktree: Path, *, besides: str | None = None) -> tuple[str, list[str]]:
    """HEAD's commit and `changed`, from one git process (an agent's end asks both).

    `besides`: a folder git does not even look into, for callers that spare it whatever it
    holds (the artifact root: a run's published artifacts pile up there, so listing them
    on every attempt made its cost grow with the run)."""
    folder = (besides or "").strip("/")
    skip = [f":(exclude,literal){folder}"] if folder and folder != "." else []
    listed = _git(
        worktree,
        "status",
        "--porcelain=v2",
        "--branch",
        "-z",
        "--untracked-files=all",
        "--no-renames",
        *(["--", *skip] if skip else []),
        literal=not skip,  # the one pathspec with magic is ours, its path taken literally
    ).stdout
    head, paths = "", []
    for entry in listed.split("\0"):
        if entry.startswith("# branch.oid "):
            head = entry.removeprefix("# branch.oid ")
        elif entry.startswith(("1 ", "u ")):  # changed, unmerged: the path is the last field
            paths.append(entry.split(" ", 8 if entry[0] == "1" else 10)[-1])
        elif entry.startswith("? "):
            paths.append(entry[2:])
    return head, paths


def revert_paths(worktree: Path, names: list[str]) -> None:
    """Put these paths back as HEAD has them: staged changes unstaged, tracked files
    restored (deleted ones included), untracked ones deleted."""
    for start in range(0, len(names), 200):
        chunk = names[start : start + 200]
        _git(worktree, "reset", "-q", "HEAD", "--", *chunk, check=False)
        tracked = _git(worktree, "ls-files", "-z", "--", *chunk).stdout.split("\0")
        tracked = [name for name in tracked if name]
        if tracked:
            _git(worktree, "checkout", "-q", "HEAD", "--", *tracked)
        _git(worktree, "clean", "-fdq", "--", *chunk)
    for name in names:  # folders the agent created for them, now empty
        for parent in (worktree / name).parents:
            if parent == worktree or not parent.is_relative_to(worktree):
                break
            try:
                parent.rmdir()
            except OSError:
                break


def head(worktree: Path) -> str:
    return _git(worktree, "rev-parse", "HEAD").stdout.strip()


def uncommit(worktree: Path, to: str) -> list[str]:
    """Move the branch back to `to`, keeping what commits an agent made as uncommitted
    changes (so they are judged and committed like any other); the commits' subjects."""
    made = _git(worktree, "log", "--format=%h %s", f"{to}..HEAD").stdout.splitlines()
    _git(worktree, "reset", "-q", to)
    return made


def last_own_commit(worktree: Path, checkout: Path) -> str:
    """The newest commit on the worktree's branch (first parents, since it left the
    checkout's HEAD) that Striatum made, or where the branch left the checkout: any commit
    above it an agent made itself. HEAD when neither is found."""
    fork = _git(worktree, "merge-base", "HEAD", _sha(checkout, "HEAD"), check=False)
    since = fork.stdout.strip()
    listed = _git(
        worktree, "log", "--first-parent", "--format=%H %ce", f"{since}..HEAD" if since else "HEAD"
    ).stdout.splitlines()
    for line in listed:
        sha, _, email = line.partition(" ")
        if email == EMAIL:
            return sha
    return since or head(worktree)


def undo(worktree: Path, sha: str) -> None:
    """Take back a commit whose job then failed (a revert: other jobs' commits stay)."""
    _git(worktree, *IDENTITY, "revert", "--no-edit", sha, check=False)


def branch_tip(repo: Path, run_id: str) -> str | None:
    """The commit the run's branch names, or None when it has none (cleaned, never made)."""
    found = _git(repo, "rev-parse", "--verify", "-q", f"{branch(run_id)}^{{commit}}", check=False)
    return found.stdout.strip() if found.returncode == 0 else None


def merged(repo: Path, commit: str) -> bool:
    """Whether `commit` is in the checked-out branch's history (a landed run's branch is)."""
    return _contains(repo, "HEAD", commit)


def remove(repo: Path, run_id: str, worktree: Path | None, *, delete_branch: bool) -> None:
    """Remove the run's worktree (git's own bookkeeping with it), then its branch. A worktree
    already deleted by hand is pruned; the caller decided whether changes may be lost."""
    if worktree is not None and worktree.exists():
        _git(repo, "worktree", "remove", "--force", str(worktree))
    _git(repo, "worktree", "prune")
    if delete_branch and branch_tip(repo, run_id) is not None:
        _git(repo, "branch", "-D", branch(run_id))


@dataclass(frozen=True, kw_only=True)
class Landing:
    """A run's merge, prepared: `commit` exists in the repository's object store, but no ref
    names it yet (nothing a user sees has changed)."""

    repo: Path
    run_id: str
    checked_out: str  # the ref HEAD named when it was prepared ("" when detached)
    base: str  # HEAD then: the merge's first parent
    commit: str  # the merge commit; `base` itself when the branch was merged already


def missing_from_branch(repo: Path, run_id: str, commits: list[tuple[str, str]]) -> list[str]:
    """The jobs among (job, commit) whose commit the run's branch here does not hold (made
    on another host and not fetched here yet, say)."""
    if not commits:
        return []
    held = set(_git(repo, "rev-list", branch(run_id), check=False).stdout.split())
    return sorted({job for job, sha in commits if sha not in held})


def prepare_land(repo: Path, run_id: str, worktree: Path) -> Landing:
    """The `--no-ff` merge of the run's branch into HEAD, as a commit no ref names yet;
    refuse a dirty tree, a worktree with uncommitted work, a conflict, or untracked files the
    merge would overwrite. Writes only unreferenced git objects, and the same ones for the
    same HEAD and branch (the commit is dated by its later parent), so it is safe inside a
    transaction that may be retried: `finish_land` moves the ref after commit."""
    if _git(repo, "status", "--porcelain", "--untracked-files=no").stdout.strip():
        raise errors.Conflict(f"{repo} has uncommitted changes; commit or stash them first")
    if _git(repo, "rev-parse", "--verify", branch(run_id), check=False).returncode != 0:
        raise errors.NotFound(f"no branch {branch(run_id)} in {repo}")
    if (worktree / ".git").exists() and _git(
        worktree, "status", "--porcelain", "--untracked-files=no"
    ).stdout.strip():
        raise errors.Conflict(f"the run's worktree {worktree} holds uncommitted changes")
    if _git(repo, "rev-parse", "--verify", "-q", "HEAD^{commit}", check=False).returncode != 0:
        raise errors.Conflict(
            f"{repo} has no commit checked out to land into",
            hint="check out the branch the run should land on, then run `run land` again",
        )
    base, tip = _sha(repo, "HEAD"), _sha(repo, branch(run_id))
    checked_out = _git(repo, "symbolic-ref", "-q", "HEAD", check=False).stdout.strip()
    landing = Landing(repo=repo, run_id=run_id, checked_out=checked_out, base=base, commit=base)
    if _contains(repo, base, tip):
        return landing  # merged already: nothing to do, as `git merge` says
    commit = _merge_commit(repo, run_id, base, tip)
    moved = _git(repo, "read-tree", "-n", "-m", "-u", base, commit, check=False)
    if moved.returncode != 0 and not _only_copies_in_the_way(repo, base, commit):
        raise errors.Conflict(f"landing {branch(run_id)} would fail: {moved.stderr.strip()}")
    return dataclasses.replace(landing, commit=commit)


def _in_the_way(repo: Path, base: str, commit: str) -> tuple[list[str], list[str]]:
    """The files the merge adds that are on disk already, untracked: (those holding the very
    bytes it adds, the others). The first are a travelling run's artifacts, published into
    this checkout as they came (lanes/run_branch.py): landing takes their place."""
    added = _git(repo, "diff", "--name-only", "-z", "--diff-filter=A", base, commit).stdout
    present = [
        name
        for name in added.split("\0")
        if name and (repo / name).exists() and not (repo / name).is_symlink()
    ]
    if not present:
        return [], []
    listed = _git(repo, "ls-tree", "-z", commit, "--", *present).stdout.split("\0")
    blobs = {line.split("\t", 1)[1]: line.split()[2] for line in listed if "\t" in line}
    files = [name for name in present if (repo / name).is_file() and "\n" not in name]
    hashed = _git(repo, "hash-object", "--stdin-paths", stdin="\n".join(files) + "\n").stdout
    same = {name for name, sha in zip(files, hashed.split(), strict=True) if blobs.get(name) == sha}
    return sorted(same), sorted(set(present) - same)


def _only_copies_in_the_way(repo: Path, base: str, commit: str) -> bool:
    """Whether nothing but such copies stands in the merge's way."""
    same, other = _in_the_way(repo, base, commit)
    return bool(same) and not other


def finish_land(landing: Landing) -> None:
    """Move the checked-out branch and the working tree to the prepared merge (a fast
    forward); nothing to do when HEAD holds it already. Refused, naming the recorded commit
    and how to finish, when HEAD moved or the working tree is in the way meanwhile."""
    head = _sha(landing.repo, "HEAD")
    if _contains(landing.repo, head, landing.commit):
        return
    checked_out = _git(landing.repo, "symbolic-ref", "-q", "HEAD", check=False).stdout.strip()
    moved = None
    if head == landing.base and checked_out == landing.checked_out:
        same, _ = _in_the_way(landing.repo, landing.base, landing.commit)
        for name in same:  # the merge writes these very bytes back
            (landing.repo / name).unlink()
        moved = _git(landing.repo, "merge", "-q", "--ff-only", landing.commit, check=False)
        if moved.returncode == 0:
            return
    why = f"HEAD is no longer {landing.checked_out or 'detached'} at {landing.base}"
    if moved is not None:
        why = moved.stderr.strip() or moved.stdout.strip()
    raise errors.Conflict(
        f"run {landing.run_id} is recorded as landed (merge commit {landing.commit}) but the "
        f"checkout in {landing.repo} was not moved to it: {why}",
        hint=f"put the checkout back at {landing.base[:12]} with a clean tree and run "
        f"`git merge --ff-only {landing.commit}`, or `striatum run land --run-id "
        f"{landing.run_id}` again",
        run_id=landing.run_id,
        commit=landing.commit,
    )


def _merge_commit(repo: Path, run_id: str, base: str, tip: str) -> str:
    tree = _git(
        repo, "merge-tree", "--write-tree", "--no-messages", "--name-only", base, tip, check=False
    )
    if tree.returncode == 1:  # the tree's id, then the conflicted paths
        conflicted = ", ".join(line for line in tree.stdout.splitlines()[1:] if line)
        raise errors.Conflict(f"merging {branch(run_id)} conflicts: {conflicted}")
    if tree.returncode != 0:
        raise errors.Conflict(
            f"git merge-tree cannot merge {branch(run_id)}: {tree.stderr.strip()}",
            hint="landing needs git 2.38 or later (git merge-tree --write-tree)",
        )
    when = max(int(_git(repo, "log", "-1", "--format=%ct", sha).stdout) for sha in (base, tip))
    who = {"NAME": "Striatum", "EMAIL": "striatum@localhost", "DATE": f"@{when} +0000"}
    env = {
        f"GIT_{role}_{key}": value for role in ("AUTHOR", "COMMITTER") for key, value in who.items()
    }
    message, root = f"Land striatum run {run_id}", tree.stdout.splitlines()[0]
    made = _git(
        repo, "commit-tree", "--no-gpg-sign", "-p", base, "-p", tip, "-m", message, root, env=env
    )
    return made.stdout.strip()


def _contains(repo: Path, head: str, commit: str) -> bool:
    """Whether `commit` is `head` or one of its ancestors."""
    return _git(repo, "merge-base", "--is-ancestor", commit, head, check=False).returncode == 0


def _sha(repo: Path, name: str) -> str:
    return _git(repo, "rev-parse", "--verify", f"{name}^{{commit}}").stdout.strip()


def _git(
    cwd: Path,
    *args: str,
    check: bool = True,
    env: dict[str, str] | None = None,
    literal: bool = True,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    # Paths are literal (an agent's file named `*` or `:/` is not a pattern matching every
    # file), and names that are not UTF-8 survive the round trip (surrogateescape).
    result = subprocess.run(
        ["git", *(["--literal-pathspecs"] if literal else []), "-C", str(cwd), *args],
        capture_output=True,
        text=True,
        errors="surrogateescape",
        check=False,
        env=None if env is None else {**os.environ, **env},
        input=stdin,
    )
    if check and result.returncode != 0:
        verb = next((a for a in args if not a.startswith("-") and "=" not in a), "?")
        raise errors.StriatumError(
            f"git {verb} failed: {result.stderr.strip() or result.stdout.strip()}"
        )
    return result

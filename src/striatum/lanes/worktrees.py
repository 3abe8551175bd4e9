"""The run's git worktree: agents work on branch `striatum/<run-id>`, never in the user's tree.

Each succeeded job's changes are committed on that branch with trailers naming the run, the
job, the attempt and the hash of the event that recorded the success (an anchor of the event
chain outside the database). `run land` merges the branch.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from striatum import errors

IDENTITY = ("-c", "user.name=Striatum", "-c", "user.email=striatum@localhost")


def branch(run_id: str) -> str:
    return f"striatum/{run_id}"


def is_git_repo(repo: Path) -> bool:
    return _git(repo, "rev-parse", "--is-inside-work-tree", check=False).returncode == 0


def ensure(repo: Path, run_id: str) -> Path:
    """The run's worktree under .striatum/worktrees/, created from HEAD on first use."""
    path = repo / ".striatum" / "worktrees" / run_id
    if (path / ".git").exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    has_head = _git(repo, "rev-parse", "--verify", "HEAD", check=False).returncode == 0
    if not has_head:  # a repository without commits: give the branch a root to grow from
        _git(repo, *IDENTITY, "commit", "--allow-empty", "-m", "striatum: initial commit")
    _git(repo, "worktree", "add", "-B", branch(run_id), str(path), "HEAD")
    return path


def commit(worktree: Path, *, run_id: str, job_id: str, attempt: int,
           event_hash: str | None, artifact_root: str) -> str | None:
    """Commit what the job changed, with provenance trailers; None if nothing changed.

    Artifacts under the artifact root are not committed: they are published into the
    user's working tree, per attempt, and committing them too would collide on landing."""
    _git(worktree, "add", "-A", "--", ".", f":(exclude){artifact_root.rstrip('/')}")
    if _git(worktree, "diff", "--cached", "--quiet", check=False).returncode == 0:
        return None
    message = (f"striatum: {job_id} (attempt {attempt}) of {run_id}\n\n"
               f"Striatum-Run: {run_id}\nStriatum-Job: {job_id}\nStriatum-Attempt: {attempt}\n"
               f"Striatum-Event: {event_hash or 'unknown'}\n")
    _git(worktree, *IDENTITY, "commit", "-q", "-m", message)
    return _git(worktree, "rev-parse", "HEAD").stdout.strip()


def land(repo: Path, run_id: str) -> str:
    """Merge the run's branch into the checked-out branch; refuse a dirty tree or a conflict."""
    if _git(repo, "status", "--porcelain", "--untracked-files=no").stdout.strip():
        raise errors.Conflict(f"{repo} has uncommitted changes; commit or stash them first")
    if _git(repo, "rev-parse", "--verify", branch(run_id), check=False).returncode != 0:
        raise errors.NotFound(f"no branch {branch(run_id)} in {repo}")
    merged = _git(repo, *IDENTITY, "merge", "--no-ff", "-m",
                  f"Land striatum run {run_id}", branch(run_id), check=False)
    if merged.returncode != 0:
        _git(repo, "merge", "--abort", check=False)
        raise errors.Conflict(f"merging {branch(run_id)} conflicts: {merged.stdout.strip()}")
    return _git(repo, "rev-parse", "HEAD").stdout.strip()


def _git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True,
                            check=False)
    if check and result.returncode != 0:
        raise errors.StriatumError(f"git {args[0] if args[0] != '-c' else args[4]} failed: "
                                   f"{result.stderr.strip() or result.stdout.strip()}")
    return result

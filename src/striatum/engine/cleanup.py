"""What an ended run leaves on disk, and what `run clean` may remove of it.

A run leaves its worktree (under the home), its branch `striatum/<run>` and its scratch in
`<repo>/.striatum/` (the attempts' prompts, FIFOs and logs; the supervisor's log and lock).
Published artifacts are the repository's and the database's: never touched here. A branch
not merged into the checked-out branch holds the run's only copy of its commits, and a dirty
worktree changes no commit holds: both are kept unless forced.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from striatum import errors
from striatum.engine import worktrees


@dataclass(frozen=True, kw_only=True)
class Leftovers:
    """What is on disk now for one run."""

    run_id: str
    worktree: Path | None  # None: not there
    worktree_dirty: bool
    branch_tip: str | None  # None: no branch
    branch_merged: bool
    scratch: tuple[Path, ...]  # those that exist


@dataclass(frozen=True, kw_only=True)
class Cleaning:
    """What `run clean` removes of a run's leftovers, and what it keeps and why."""

    leftovers: Leftovers
    worktree: bool
    branch: bool
    scratch: tuple[Path, ...]
    kept: tuple[str, ...]

    @property
    def anything(self) -> bool:
        return self.worktree or self.branch or bool(self.scratch)

    def removes(self) -> list[str]:
        """What goes, as the answer and the `run.cleaned` event name it."""
        left = self.leftovers
        return [
            *([f"worktree {left.worktree}"] if self.worktree else []),
            *([f"branch {worktrees.branch(left.run_id)}"] if self.branch else []),
            *(str(path) for path in self.scratch),
        ]


def scratch_paths(repo: Path, run_id: str) -> list[Path]:
    base = repo / ".striatum"
    return [
        base / "runs" / run_id,
        base / f"supervisor-{run_id}.log",
        base / f"supervisor-{run_id}.lock",
    ]


def find(repo: Path, run_id: str, worktree: Path, *, artifact_root: str) -> Leftovers:
    """Look (read only) at what the run left. The artifact root is not the worktree's own
    work: what agents wrote there was published into the repository."""
    there = (worktree / ".git").exists()
    tip = worktrees.branch_tip(repo, run_id) if (repo / ".git").exists() else None
    return Leftovers(
        run_id=run_id,
        worktree=worktree if worktree.exists() else None,
        worktree_dirty=there and bool(worktrees.changed(worktree, besides=artifact_root)),
        branch_tip=tip,
        branch_merged=tip is not None and worktrees.merged(repo, tip),
        scratch=tuple(p for p in scratch_paths(repo, run_id) if p.exists() or p.is_symlink()),
    )


def decide(left: Leftovers, *, force: bool) -> Cleaning:
    """Pure: keep an unmerged branch and a dirty worktree unless `force`."""
    kept: list[str] = []
    worktree = left.worktree is not None
    if worktree and left.worktree_dirty and not force:
        worktree = False
        kept.append(f"worktree {left.worktree}: it holds uncommitted changes (--force removes it)")
    branch = left.branch_tip is not None
    if branch and not left.branch_merged and not force:
        branch = False
        kept.append(
            f"branch {worktrees.branch(left.run_id)}: not merged into the checked-out branch "
            "(the run was not landed; --force deletes it)"
        )
    elif branch and left.worktree is not None and not worktree:
        branch = False  # checked out in the worktree kept: git would refuse
        kept.append(f"branch {worktrees.branch(left.run_id)}: its worktree is kept")
    return Cleaning(
        leftovers=left, worktree=worktree, branch=branch, scratch=left.scratch, kept=tuple(kept)
    )


def carry_out(repo: Path, cleaning: Cleaning) -> None:
    """Remove what `cleaning` names (after commit: the event is recorded already)."""
    left = cleaning.leftovers
    try:
        if cleaning.worktree or cleaning.branch:
            worktrees.remove(
                repo,
                left.run_id,
                left.worktree if cleaning.worktree else None,
                delete_branch=cleaning.branch,
            )
        for path in cleaning.scratch:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
    except (OSError, errors.StriatumError) as error:
        raise errors.StorageError(
            f"run {left.run_id} is recorded as cleaned, but removing its leftovers failed: {error}",
            hint=f"striatum --as principal run clean --run-id {left.run_id} --yes  (again)",
            run_id=left.run_id,
        ) from None

"""What agents may leave in a run's worktree, enforced when each of them exits.

The supervisor owns the branch: it alone commits, with trailers. An agent's own commits are
taken back (the branch moved past what the supervisor knows) and judged as changes like any
other. Changes outside the attempt's scopes (other than under the artifact root, and other
than inside the scopes of jobs still running in the same worktree) or inside a forbidden
path are reverted and named, on every outcome, so no later job inherits them.

Attempts are isolated: before the attempts claimed together start, after one ends without
success, and when a new supervisor takes the worktree over, every uncommitted change no live
attempt may be making is put back as the branch head has it (`isolate`), so a commit only
ever holds what its own attempt wrote.

Jobs running at once share the worktree: a stray change is charged to whichever of them
exits first (a limit, documented in SPEC §10).
"""

from __future__ import annotations

from pathlib import Path

from striatum.engine import worktrees
from striatum.lanes import scope_check
from striatum.model.workflow.paths import within


class WorktreeGuard:
    def __init__(self, worktree: Path, artifact_root: str) -> None:
        self.worktree = worktree
        self.artifact_root = artifact_root
        self.head = worktrees.head(worktree)  # the last commit the supervisor knows

    def isolate(self, live: list[str]) -> list[str]:
        """Put every uncommitted change back as the branch head has it (staged ones, deleted
        files, untracked files alike), except inside `live` (the code scopes of attempts
        still running: their work in progress) and under the artifact root (the published
        artifacts later jobs read there; never committed); the paths put back."""
        spared = [*live, self.artifact_root]
        stale = [
            path
            for path in worktrees.changed(self.worktree, besides=self.artifact_root)
            if not any(within(path, scope) for scope in spared)
        ]
        if stale:
            worktrees.revert_paths(self.worktree, stale)
        return stale

    def take_over(self, checkout: Path) -> tuple[list[str], list[str]]:
        """A dead supervisor's worktree: the commits its agents made themselves are taken
        back, then every uncommitted change is put back (no attempt is live); (the commits'
        subjects, the paths put back)."""
        own = worktrees.last_own_commit(self.worktree, checkout)
        made = worktrees.uncommit(self.worktree, own) if own != self.head else []
        self.head = worktrees.head(self.worktree)
        return made, self.isolate(live=[])

    def police(
        self, *, scopes: list[str], others: list[str], forbidden: list[str]
    ) -> tuple[str | None, list[str]]:
        """(why the attempt broke the rules or None, the agent's own commits undone)."""
        made: list[str] = []
        # Under the artifact root anything goes (scope_check) unless a forbidden path lies
        # there: otherwise git need not look into it.
        inside = any(within(f, self.artifact_root) for f in forbidden)
        besides = None if inside else self.artifact_root
        head, changed = worktrees.head_and_changes(self.worktree, besides=besides)
        if head != self.head:
            made = worktrees.uncommit(self.worktree, self.head)
            changed = worktrees.changed(self.worktree, besides=besides)
        found = scope_check.check(
            changed,
            scopes=scopes,
            artifact_root=self.artifact_root,
            others=others,
            forbidden=forbidden,
        )
        if found.paths:
            worktrees.revert_paths(self.worktree, found.paths)
        return found.reason(scopes), made

    def committed(self) -> None:
        """The supervisor moved the branch (a job's commit, or the revert of one)."""
        self.head = worktrees.head(self.worktree)

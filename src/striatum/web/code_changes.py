"""What a run changed in code: its branch `striatum/<run>`, the commits on it, and a diff.

The branch starts at the checkout's HEAD when the run's first job runs; its commits carry
trailers naming the run, the job and the attempt (`engine.worktrees.commit`). The run's base is
the parent of the oldest commit naming this run (following first parents), so a branch that
was landed still shows what the run changed. Read-only and bounded (see `engine.bounded_git`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from striatum.engine import commits as commit_ids
from striatum.engine import worktrees
from striatum.engine.bounded_git import git
from striatum.web import diff_view

MAX_COMMITS = 200
LOG_LIMIT = 200_000
DIFF_LIMIT = 400_000  # characters of patch read; past it the page says the diff was cut
FIELD, RECORD = "\x1f", "\x1e"
LOG_FORMAT = (
    FIELD.join(
        [
            "%H",
            "%h",
            "%s",
            "%aI",
            "%(trailers:key=Striatum-Run,valueonly=true,separator=%x20)",
            "%(trailers:key=Striatum-Job,valueonly=true,separator=%x20)",
            "%(trailers:key=Striatum-Attempt,valueonly=true,separator=%x20)",
        ]
    )
    + RECORD
)


@dataclass(frozen=True, kw_only=True)
class Commit:
    sha: str
    short: str
    subject: str
    at: str
    job: str  # "" for a commit no job made (a revert, or one made by hand)
    attempt: str


@dataclass(frozen=True, kw_only=True)
class Branch:
    name: str
    commits: list[Commit]  # newest first: the run's, and any made on the branch after them
    base: str | None  # the commit the run started from, None when it made none


@dataclass(frozen=True, kw_only=True)
class Diff:
    files: list[diff_view.FileDiff]
    cut: bool  # the patch was larger than DIFF_LIMIT
    failed: bool  # git could not tell


def branch(repo: Path, run_id: str) -> Branch | None:
    """The run's branch and its commits since the run's base; None when there is no branch."""
    name = worktrees.branch(run_id)
    listed = git(
        repo,
        "log",
        "--first-parent",
        f"--max-count={MAX_COMMITS}",
        f"--format={LOG_FORMAT}",
        "--end-of-options",
        f"refs/heads/{name}",
        "--",
        limit=LOG_LIMIT,
    )
    if not listed.ok:
        return None
    found = [_commit(record) for record in listed.text.split(RECORD) if record.strip()]
    ours = [i for i, (c, run) in enumerate(found) if run == run_id]
    if not ours:
        return Branch(name=name, commits=[], base=None)
    oldest = ours[-1]
    return Branch(
        name=name,
        commits=[c for c, _ in found[: oldest + 1]],
        base=f"{found[oldest][0].sha}^",
    )


def _commit(record: str) -> tuple[Commit, str]:
    parts = (record.strip("\n").split(FIELD) + [""] * 7)[:7]
    sha, short, subject, at, run, job, attempt = (p.strip() for p in parts)
    return Commit(sha=sha, short=short, subject=subject, at=at, job=job, attempt=attempt), run


def diff(repo: Path, base: str, tip: str) -> Diff:
    """The patch from `base` to `tip` (both commit names the caller checked)."""
    found = git(
        repo,
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--patch",
        "--end-of-options",
        base,
        tip,
        "--",
        limit=DIFF_LIMIT,
    )
    return Diff(files=diff_view.parse(found.text), cut=found.cut, failed=not found.ok)


def is_commit_id(text: str) -> bool:
    return commit_ids.is_sha(text)

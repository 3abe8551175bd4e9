"""Provenance commits as a reviewer is shown them, and the check that a commit a lane names
is the one the supervisor made for that lease. Read-only git, bounded in time and size: it
runs inside a claim's transaction."""

from __future__ import annotations

import re
from pathlib import Path

from striatum.engine import bounded_git

SHA = re.compile(r"[0-9a-f]{7,64}")
DIFF_LIMIT = 60_000  # characters of diff put into a prompt; past it, the agent runs git


def is_sha(text: str) -> bool:
    """A full or abbreviated commit id (hex), never something git would take as an option."""
    return SHA.fullmatch(text) is not None


def made_for(repo: Path, sha: str, lease_id: str) -> bool:
    """Whether `sha` is a commit whose trailers name this lease (the supervisor's own)."""
    if not is_sha(sha):
        return False
    message = _git(repo, "log", "-1", "--format=%B", "--end-of-options", sha, "--")
    return message is not None and f"\nStriatum-Lease: {lease_id}\n" in f"\n{message}"


def show_range(repo: Path, shas: list[str], scopes: list[str]) -> str | None:
    """What the commits `shas` (oldest first) changed together inside `scopes`: their
    subjects, then one stat and patch from before the first to the last, cut at DIFF_LIMIT.
    None when git cannot tell."""
    if not shas or not all(map(is_sha, shas)):
        return None
    subjects = _git(repo, "log", "--no-walk", "--format=%h %s", "--end-of-options", *shas)
    diff = _git(
        repo,
        "diff",
        "--no-color",
        "--stat",
        "--patch",
        "--end-of-options",
        f"{shas[0]}^",
        shas[-1],
        "--",
        *scopes,
    )
    if subjects is None or diff is None:
        return None
    return f"{subjects.rstrip()}\n\n{diff}"


def _git(repo: Path, *args: str) -> str | None:
    """A git command's output, read up to DIFF_LIMIT characters (the rest is never held)."""
    found = bounded_git.git(repo, *args, limit=DIFF_LIMIT)
    if found.cut:
        return (
            found.text + f"\n[... cut at {DIFF_LIMIT} characters: run git in "
            "your working directory for the rest]\n"
        )
    return found.text if found.ok else None

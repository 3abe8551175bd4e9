"""A provenance commit as a reviewer is shown it: its message, its files and its diff."""

from __future__ import annotations

import subprocess
from pathlib import Path

DIFF_LIMIT = 60_000  # characters of diff put into a prompt; past it, the agent runs git


def show(repo: Path, sha: str) -> str | None:
    """`git show` of one commit (stat and patch), cut at DIFF_LIMIT; None if git cannot."""
    try:
        shown = subprocess.run(
            ["git", "-C", str(repo), "show", "--no-color", "--stat", "--patch",
             "--format=commit %H%n%n%B", sha, "--"],
            capture_output=True, text=True, timeout=30, check=False,
            errors="replace")
    except (OSError, subprocess.TimeoutExpired):
        return None
    if shown.returncode != 0:
        return None
    text = shown.stdout
    if len(text) > DIFF_LIMIT:
        text = (text[:DIFF_LIMIT] + f"\n[... cut at {DIFF_LIMIT} characters: run "
                f"`git show {sha}` in your working directory for the rest]\n")
    return text

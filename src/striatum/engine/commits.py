"""A provenance commit as a reviewer is shown it: its message, its files and its diff."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

SHA = re.compile(r"[0-9a-f]{7,64}")
DIFF_LIMIT = 60_000  # characters of diff put into a prompt; past it, the agent runs git


def is_sha(text: str) -> bool:
    """A full or abbreviated commit id (hex), never something git would take as an option."""
    return SHA.fullmatch(text) is not None


def show(repo: Path, sha: str) -> str | None:
    """`git show` of one commit (stat and patch), cut at DIFF_LIMIT; None if git cannot."""
    if not is_sha(sha):
        return None
    try:
        shown = subprocess.run(
            ["git", "-C", str(repo), "show", "--no-color", "--stat", "--patch",
             "--format=commit %H%n%n%B", "--end-of-options", sha, "--"],
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

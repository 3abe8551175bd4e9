"""Git as the integrity checks run it: bounded in time, blind to the caller's git environment.

A check reads or writes one repository, named by path, so the variables through which a
calling git (a hook, an alias) would redirect us elsewhere (GIT_DIR, GIT_INDEX_FILE, ...) are
dropped; replace refs are ignored (`git replace` could otherwise show a forged commit in place
of the recorded one); hooks never run, and git never prompts for credentials.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from striatum import errors

SECONDS = 30.0  # local plumbing takes milliseconds; a push or fetch talks to a remote
IDENTITY = {
    f"GIT_{role}_{key}": value
    for role in ("AUTHOR", "COMMITTER")
    for key, value in (("NAME", "Striatum"), ("EMAIL", "striatum@localhost"))
}
# What `git rev-parse --local-env-vars` lists: the variables that point git at a repository.
_LOCAL = frozenset(
    {
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_CONFIG",
        "GIT_CONFIG_PARAMETERS",
        "GIT_CONFIG_COUNT",
        "GIT_OBJECT_DIRECTORY",
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_IMPLICIT_WORK_TREE",
        "GIT_GRAFT_FILE",
        "GIT_INDEX_FILE",
        "GIT_NO_REPLACE_OBJECTS",
        "GIT_REPLACE_REF_BASE",
        "GIT_PREFIX",
        "GIT_SHALLOW_FILE",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
    }
)
_SETTINGS = ("-c", "core.hooksPath=/dev/null", "-c", "log.showSignature=false")


def run(
    repo: Path,
    *args: str,
    stdin: str = "",
    env: dict[str, str] | None = None,
    seconds: float = SECONDS,
) -> subprocess.CompletedProcess[str]:
    """Run git in `repo` and return what it did, whatever its exit status; a git that cannot
    be started or does not finish within `seconds` is a StriatumError."""
    clean = {k: v for k, v in os.environ.items() if k not in _LOCAL}
    clean |= {"GIT_TERMINAL_PROMPT": "0", **(env or {})}
    try:
        return subprocess.run(
            ["git", "--no-replace-objects", *_SETTINGS, "-C", str(repo), *args],
            input=stdin,
            capture_output=True,
            text=True,
            errors="surrogateescape",
            env=clean,
            timeout=seconds,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise errors.StriatumError(f"git {args[0]} in {repo} took over {seconds:g}s") from error
    except OSError as error:
        raise errors.StriatumError(f"cannot run git: {error}") from error


def output(repo: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None) -> str:
    """A git command's stdout; its failure is a StriatumError quoting git's own words."""
    done = run(repo, *args, stdin=stdin, env=env)
    if done.returncode != 0:
        raise errors.StriatumError(f"git {args[0]} failed in {repo}: {said(done)}")
    return done.stdout


def said(done: subprocess.CompletedProcess[str]) -> str:
    """git's message, on one line."""
    text = done.stderr.strip() or done.stdout.strip() or f"exit status {done.returncode}"
    return " ".join(text.split())


def is_repository(repo: Path) -> bool:
    """Whether `repo` is itself a repository (a work tree's top or a bare one), never merely
    a directory inside one: git does not look above it."""
    if not repo.is_dir():
        return False
    above = {"GIT_CEILING_DIRECTORIES": str(repo.resolve().parent)}
    return run(repo, "rev-parse", "--git-dir", env=above).returncode == 0

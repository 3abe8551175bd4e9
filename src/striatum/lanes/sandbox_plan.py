"""The sandbox of one attempt (`sandbox.Plan`), from where the run works and what its agent's
CLI keeps: the I/O half of lanes/sandbox.py (it reads the worktree's `.git` file and makes
the CLI's config folders so that they can be mounted)."""

from __future__ import annotations

import os
from pathlib import Path

from striatum import paths
from striatum.lanes.profiles import PROFILES
from striatum.lanes.sandbox import Plan


def for_attempt(
    *,
    repo: Path,
    workdir: Path,
    scratch: Path,
    run_dir: Path,
    provider: str,
    workflow_dir: Path | None = None,
) -> Plan:
    """Writable: the worktree (or the repository in place, less its `.git` and `.striatum`),
    the worktree's git metadata, the attempt's scratch and the CLI's config; hidden:
    Striatum's home and runtime folder (/tmp is the sandbox's own); the daemon's socket put
    back."""
    socket = paths.socket_path()
    hidden = _outermost([paths.home(), paths.runtime_dir(), socket.parent])
    hidden = [h for h in hidden if not h.is_relative_to("/tmp")]  # /tmp is private anyway
    # Read-only, and seen even where they lie under /tmp: the link to this installation's
    # `striatum`, and the workflow's folder (a command lane's scripts may live there).
    protected = [run_dir / "bin", *([workflow_dir] if workflow_dir else [])]
    writable = [scratch]
    if workdir == repo:
        protected += [repo / ".git", repo / ".striatum"]
    else:  # the main checkout and its `.git`, read-only; the worktree's own git metadata
        protected.append(repo)  # (`<repo>/.git/worktrees/<name>`: index, HEAD) writable
        metadata = _git_metadata(workdir)
        if metadata is not None:
            writable.append(metadata)
    writable += config_folders(provider)
    return Plan(
        workdir=workdir,
        protected=tuple(p for p in protected if p.exists()),
        writable=tuple(writable),
        hidden=tuple(hidden),
        socket=socket if socket.exists() else None,
    )


def config_folders(provider: str) -> list[Path]:
    """The agent CLI's own folders under $HOME, made if missing (a mount needs its source)."""
    profile = PROFILES.get(provider)
    folders = []
    for name in profile.config_folders if profile else ():
        folder = Path(os.path.expanduser(name))
        folder.mkdir(parents=True, exist_ok=True)
        folders.append(folder)
    return folders


def _git_metadata(worktree: Path) -> Path | None:
    """`<repo>/.git/worktrees/<name>`, which a worktree's `.git` file names: its index and
    HEAD, so that `git status` and `git diff` work inside."""
    try:
        line = (worktree / ".git").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not line.startswith("gitdir: "):
        return None
    found = Path(line.removeprefix("gitdir: "))
    return (worktree / found).resolve() if not found.is_absolute() else found


def _outermost(folders: list[Path]) -> list[Path]:
    """The folders that exist, less those inside another (hidden once is enough)."""
    found = sorted({f.resolve() for f in folders if f.is_dir()}, key=lambda f: len(f.parts))
    kept: list[Path] = []
    for folder in found:
        if not any(folder.is_relative_to(outer) for outer in kept):
            kept.append(folder)
    return kept

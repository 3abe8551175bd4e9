"""What a killed postmaster leaves behind, found and ended before the cluster starts again.

A postmaster killed with SIGKILL cannot take its backends down. They notice on their own a
moment later, and until they exit they keep its shared memory attached, so a new postmaster
refuses to start ("pre-existing shared memory block is still in use"). They serve no one any
more. We know them by what no unrelated process has: a process of the cluster's account, named
postgres, whose working directory is the cluster's data directory (every postgres process
of a cluster runs there).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from striatum.lanes import liveness

PROC = Path("/proc")


def find(data_dir: Path, uid: int) -> list[int]:
    """The pids of the postgres processes of `uid` running in `data_dir`."""
    wanted = os.path.realpath(data_dir)
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != uid or os.readlink(entry / "cwd") != wanted:
                continue
            name = (entry / "cmdline").read_bytes().split(b"\0", 1)[0]
        except OSError:  # gone meanwhile, or a zombie (no cwd)
            continue
        if name.startswith(b"postgres:") or Path(os.fsdecode(name)).name == "postgres":
            found.append(int(entry.name))
    return found


def end(data_dir: Path, uid: int, *, wait_s: float = 10.0) -> list[int]:
    """SIGKILL every leftover and wait (up to `wait_s`) until none runs; the pids killed."""
    pids = find(data_dir, uid)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + wait_s
    while any(liveness.identity(pid) is not None for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    return pids

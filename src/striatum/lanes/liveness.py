"""Whether a process is still the one that registered: its pid, and who it is.

A pid alone is not enough: pids are reused, and a reboot starts them over. A process's
identity is the boot it lives in and its start time (`/proc/<pid>/stat` field 22, in clock
ticks since boot), which no later process with the same pid shares. Where there is no /proc
(macOS), `ps -o lstart=` gives the start time (to the second, with its date).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

PROC = Path("/proc")


def identity(pid: int) -> str | None:
    """`<boot>:<start>` of the live process `pid`, or None (no such process, or a zombie)."""
    if pid <= 0:
        return None
    if PROC.is_dir():
        return _from_proc(pid)
    return _from_ps(pid)


def _from_proc(pid: int) -> str | None:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
        boot = (PROC / "sys" / "kernel" / "random" / "boot_id").read_text().strip()
    except OSError:
        return None
    fields = stat.rsplit(") ", 1)[1].split()  # after the command name, which may hold ") "
    if fields[0] in ("Z", "X"):  # dead, not yet reaped
        return None
    return f"{boot}:{fields[19]}"


def _from_ps(pid: int) -> str | None:
    try:
        found = subprocess.run(
            ["ps", "-o", "lstart=", "-o", "stat=", "-p", str(pid)],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    words = found.stdout.split()
    if found.returncode != 0 or not words or words[-1].startswith("Z"):
        return None
    return "ps:" + " ".join(words[:-1])

"""A supervisor's watchdog: its agents' process groups die the moment the supervisor does.

PR_SET_PDEATHSIG (death_signal) kills an agent, the supervisor's direct child, with the
supervisor, the watchdog dead or alive, but not what the agent started (a shell's `sleep`, a
test runner): those stay in the agent's process group, orphaned. The watchdog is a separate
process reading a pipe whose only writer is the supervisor: `+PGID LEASE` when an agent
starts, `-PGID` once it is reaped. End of file - the supervisor exited, `kill -9` included -
sends SIGKILL to every group still listed, and to every process whose environment names one
of their leases (what left its agent's group).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from typing import IO

from striatum.lanes import markers


class Watchdog:
    """The supervisor's end of the pipe."""

    def __init__(self, run_id: str) -> None:
        self._process = subprocess.Popen(  # the run id in argv: `ps` says whose it is
            [sys.executable, "-m", "striatum.lanes.watchdog", run_id],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
        assert self._process.stdin is not None
        self._pipe: IO[bytes] = self._process.stdin
        self._forgotten: list[str] = []  # `-PGID` lines not yet written

    def watch(self, pgid: int, lease_id: str) -> None:
        self._send(f"+{pgid} {lease_id}")

    def forget(self, pgid: int) -> None:
        """Told with the next `watch` or `flush`, whichever comes first: a write to the pipe
        wakes the watchdog, and an attempt's end is mostly followed by the next one's start.
        Meanwhile a supervisor's death kills a reaped group, which no process has (pids are
        reused only after the kernel's pid counter wraps)."""
        self._forgotten.append(f"-{pgid}")

    def flush(self) -> None:
        if self._forgotten:
            self._send()

    def close(self) -> None:
        self.flush()
        with contextlib.suppress(OSError):
            self._pipe.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(5)

    def _send(self, *lines: str) -> None:
        """`lines` after the groups forgotten since the last write, in one write."""
        text = "".join(f"{line}\n" for line in (*self._forgotten, *lines))
        self._forgotten.clear()
        with contextlib.suppress(OSError):  # a dead watchdog must not stop the supervisor
            self._pipe.write(text.encode())
            self._pipe.flush()


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # only the end of the pipe ends us
    groups: dict[int, str] = {}  # pgid: its agent's lease
    for line in sys.stdin.buffer:
        sign, fields = line[:1], line[1:].split()
        if not fields or not fields[0].isdigit():
            continue
        if sign == b"+" and len(fields) == 2:
            groups[int(fields[0])] = fields[1].decode(errors="replace")
        else:
            groups.pop(int(fields[0]), None)
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    for lease_id in groups.values():  # never by the run: a new supervisor's agents may be up
        markers.kill(markers.of_lease(lease_id))


if __name__ == "__main__":
    main()

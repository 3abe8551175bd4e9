"""`striatum daemon start` and `daemon stop`: the daemon as a background process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from striatum import errors, paths
from striatum.client import rpc
from striatum.daemon import runtime
from striatum.lanes import markers

START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 60.0


def start(database_url: str | None) -> str:
    """Launch striatumd in the background; return once it answers. Idempotent."""
    if runtime.is_running():
        status = rpc.call("daemon.status", {}, as_role="operator")
        return f"striatumd already running on {status['socket']} (pid {status['pid']})"
    log_path = paths.daemon_log()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = markers.unmarked(dict(os.environ))
    if database_url:
        env["STRIATUM_DATABASE_URL"] = database_url
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [_striatumd()],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
    status = _wait_until_answering(process, log_path)
    # One fact a line: read at 80 columns, each path whole (it is pasted, not read).
    return (
        f"striatumd started (pid {status['pid']})\n"
        f"  socket    {status['socket']}\n"
        f"  database  {status['database']}\n"
        f"  log       {log_path}"
    )


def stop() -> str:
    """Ask the daemon to stop (SIGTERM) and wait until it has let go of its lock."""
    if not runtime.is_running():
        runtime.remove_pid()
        return "striatumd is not running"
    pid = runtime.read_pid()
    if pid is None:
        raise errors.DaemonUnreachable(
            "a daemon holds the runtime lock but wrote no pidfile",
            hint=f"look for striatumd processes; {paths.lock_file()}",
        )
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while runtime.is_running():
        if time.monotonic() > deadline:
            raise errors.DaemonUnreachable(
                f"striatumd (pid {pid}) did not stop within {STOP_TIMEOUT_S:.0f}s"
            )
        time.sleep(0.05)
    return f"striatumd (pid {pid}) stopped"


def _striatumd() -> str:
    beside = Path(sys.executable).parent / "striatumd"
    return str(beside) if beside.exists() else "striatumd"


def _wait_until_answering(process: subprocess.Popen[bytes], log_path: Path) -> dict[str, str]:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        code = process.poll()
        if code is not None:
            raise errors.DaemonUnreachable(
                f"striatumd exited with status {code} during start-up: {_tail(log_path)}",
                hint=f"full log: {log_path}",
            )
        try:  # with this host's own token: STRIATUM_TOKEN may belong to another host
            result = rpc.call("daemon.status", {}, as_role="operator")
            assert isinstance(result, dict)
            return result
        except (errors.DaemonUnreachable, errors.TokenMissing):
            if time.monotonic() > deadline:
                raise errors.DaemonUnreachable(
                    f"striatumd did not answer within {START_TIMEOUT_S:.0f}s",
                    hint=f"see {log_path}",
                ) from None
            time.sleep(0.05)


def _tail(log_path: Path, count: int = 3) -> str:
    lines = log_path.read_text(errors="replace").strip().splitlines()
    return " | ".join(line.strip() for line in lines[-count:])

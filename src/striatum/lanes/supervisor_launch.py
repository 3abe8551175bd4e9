"""Launching a run's background supervisor: `run start` on the caller's machine, and the
daemon when it resumes a run whose supervisor is gone.

The supervisor leads a new session (a terminal closing, or the launcher dying, does not take
it along), logs to `<repo>/.striatum/supervisor-<run>.log`, and starts without an attempt's
markers (a supervisor launched from an agent's shell must not die with that attempt).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from striatum.lanes import markers


def command(run_id: str) -> list[str]:
    """The `striatum` installed beside this Python (else the one on PATH)."""
    beside = Path(sys.executable).parent / "striatum"
    return [str(beside) if beside.exists() else "striatum", "supervise", "--run-id", run_id]


def log_file(repo: Path, run_id: str) -> Path:
    return repo / ".striatum" / f"supervisor-{run_id}.log"


def launch(run_id: str, repo: Path, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """Start the supervisor detached; the caller reaps it (or exits and lets init do so)."""
    log = log_file(repo, run_id)
    log.parent.mkdir(exist_ok=True)  # never the repository itself: it may have been removed
    with open(log, "ab") as handle:
        return subprocess.Popen(
            command(run_id),
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=handle,
            cwd=repo,
            start_new_session=True,
            close_fds=True,
            env=markers.unmarked(dict(env)),
        )

"""What the CLI does after some verbs succeed, on this machine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any


def run_hook(dotted: str | None, result: Any, local: dict[str, Any]) -> None:
    if not dotted:
        return
    import importlib

    module, function = dotted.split(":")
    getattr(importlib.import_module(module), function)(result, local)


def start_supervisor(result: dict[str, Any], local: dict[str, Any]) -> None:
    """`run start` launches a background supervisor for the run unless --no-supervise."""
    if local.get("no_supervise") or result.get("state") != "running":
        return
    scratch = Path(result["repo"]) / ".striatum"
    scratch.mkdir(parents=True, exist_ok=True)
    log = scratch / f"supervisor-{result['run_id']}.log"
    beside = Path(sys.executable).parent / "striatum"
    command = [str(beside) if beside.exists() else "striatum", "supervise", "--run-id",
               result["run_id"]]
    with open(log, "ab") as handle:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=handle,
                                   stderr=handle, start_new_session=True, close_fds=True)
    sys.stderr.write(f"striatum: supervisor started (pid {process.pid}); log: {log}\n")

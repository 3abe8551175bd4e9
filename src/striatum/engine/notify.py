"""The notification hook: tell someone, without polling, that a run needs a human or ended.

The command (a repository's `notify_command`, else `STRIATUM_NOTIFY`) runs after the
transaction commits, through `sh -c`, with one JSON notice on stdin. It runs in the background
with a timeout; its failure is logged and never undoes the transition.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
from typing import Any

log = logging.getLogger("striatumd")
TIMEOUT_S = 30


def deliver(notices: list[dict[str, Any]]) -> None:
    for notice in notices:
        command = notice.pop("notify_command", None) or os.environ.get("STRIATUM_NOTIFY")
        if command:
            threading.Thread(target=_run, args=(command, notice), daemon=True).start()


def _run(command: str, notice: dict[str, Any]) -> None:
    try:
        # A minimal environment: the daemon's own (database URL, tokens) stays out of it.
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "USER")}
        subprocess.run(
            ["sh", "-c", command],
            input=json.dumps(notice, default=str).encode(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            timeout=TIMEOUT_S,
            check=False,
            cwd="/",
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        log.warning("notification command failed: %s", error)

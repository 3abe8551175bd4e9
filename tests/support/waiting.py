"""Waiting for something a real process does, and finding a free port for one."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable


def wait_until(ready: Callable[[], object], what: str, timeout: float = 30) -> None:
    """Poll `ready` until it is truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port

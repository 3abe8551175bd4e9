"""Small files the supervisor rewrites at every attempt (a lane's pids, an agent's pid).

Rewritten in place, from the start and then cut to length, never opened with O_TRUNC: ext4
(its default `auto_da_alloc`) writes out a file truncated to zero when it is closed, which
costs 0.1-0.25 ms a write on the development machine against 0.01 ms in place. A reader may
see a half-written file, as it could with O_TRUNC: these files are for people and for
`kill`, and their writer rewrites them whole a moment later.
"""

from __future__ import annotations

import os
from pathlib import Path


def write(path: Path, text: str) -> None:
    """`text` as the whole of `path` (made 0644 if missing)."""
    data = text.encode("utf-8")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.pwrite(descriptor, data, 0)
        os.ftruncate(descriptor, len(data))
    finally:
        os.close(descriptor)

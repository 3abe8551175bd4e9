"""Whether a helper program works here: run once, quietly, with a deadline."""

from __future__ import annotations

import subprocess


def succeeds(argv: list[str], timeout_s: float = 10) -> bool:
    """Whether `argv` runs and exits 0 within `timeout_s` (its output discarded)."""
    try:
        found = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout_s,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return found.returncode == 0

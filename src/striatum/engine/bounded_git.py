"""A read-only git command whose output is bounded in time and in characters read: for the
web's code pages and a revision prompt's diff. Whatever git prints past the limit is never
held in memory; a git that stalls is killed at the deadline (a read would otherwise wait on
it for as long as it stalls)."""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

GIT_SECONDS = 10.0
CHUNK = 8192


@dataclass(frozen=True, kw_only=True)
class Output:
    text: str
    cut: bool  # the limit (of size or time) was reached: `text` is the beginning only
    ok: bool  # git exited 0 (unknown when cut)


def git(repo: Path, *args: str, limit: int) -> Output:
    """`git -C repo ARGS`, its stdout read up to `limit` characters."""
    try:
        process = subprocess.Popen(
            ["git", "--no-pager", "--literal-pathspecs", "-C", str(repo), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
        )
    except OSError:
        return Output(text="", cut=False, ok=False)
    assert process.stdout is not None
    deadline, chunks, size = time.monotonic() + GIT_SECONDS, [], 0
    timer = threading.Timer(GIT_SECONDS, process.kill)  # ends a read that git stalls
    timer.start()
    try:
        while size <= limit and time.monotonic() < deadline:
            chunk = process.stdout.read(CHUNK)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        timer.cancel()
    cut = size > limit or time.monotonic() >= deadline
    if cut:
        process.kill()
    process.stdout.close()
    code = process.wait()
    return Output(text="".join(chunks)[:limit], cut=cut, ok=cut or code == 0)

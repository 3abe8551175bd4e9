"""A CLI process on a pseudo-terminal: its output read as it comes, its input typed."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


class Terminal:
    """`argv` on a pseudo-terminal of 80x40 (stdin, stdout and stderr alike); `overrides`
    go over the terminal's own variables (NO_COLOR, another TERM)."""

    def __init__(
        self,
        argv: list[str],
        env: dict[str, str],
        cwd: Path,
        overrides: dict[str, str] | None = None,
    ) -> None:
        primary, secondary = pty.openpty()
        terminal = {"COLUMNS": "80", "LINES": "40", "TERM": "xterm"}
        environment = {**env, **terminal, **(overrides or {})}
        self.process = subprocess.Popen(
            argv, env=environment, cwd=cwd, stdin=secondary, stdout=secondary, stderr=secondary
        )
        os.close(secondary)
        self.primary, self.output = primary, b""

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", "replace")

    def read_until(self, done: Callable[[str], bool], timeout: float = 90) -> str:
        """Read until `done(text so far)` or the process ends; the text read."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not done(self.text):
            ready, _, _ = select.select([self.primary], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(self.primary, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                self.output += chunk
            elif self.process.poll() is not None:
                break
        return self.text

    def type(self, line: str) -> None:
        os.write(self.primary, line.encode() + b"\r")

    def finish(self, timeout: float = 90) -> tuple[int, str]:
        text = self.read_until(lambda _: False, timeout=timeout)
        try:
            return self.process.wait(30), text
        finally:
            if self.process.poll() is None:
                self.process.kill()
            os.close(self.primary)

"""Reading newline-terminated frames off a connection without letting anyone hoard memory.

Three bounds, whatever the peer does: a frame is at most `max_bytes`; it must arrive whole
within `deadline_s` of the daemon starting to wait for it (an idle connection is closed after
the same time); and the bytes of unfinished frames, across every connection, stay under one
shared `Budget`. Buffers belong to the connection and go when it does.
"""

from __future__ import annotations

import asyncio
import time

CHUNK = 64 * 1024  # also the StreamReader's limit: the transport pauses past twice this


class Budget:
    """Bytes held for frames not yet whole, across all connections (event loop only)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.peak = 0  # since the last `reset_peak`

    def take(self, count: int) -> bool:
        if self.used + count > self.limit:
            return False
        self.used += count
        self.peak = max(self.peak, self.used)
        return True

    def give(self, count: int) -> None:
        self.used -= count

    def reset_peak(self) -> int:
        peak, self.peak = self.peak, self.used
        return peak


class FrameProblem(Exception):
    """The peer broke a bound; `kind` names which (for the daemon's periodic audit row)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class FrameReader:
    """One connection's frames, in order."""

    def __init__(
        self, reader: asyncio.StreamReader, budget: Budget, *, max_bytes: int, deadline_s: float
    ) -> None:
        self._reader = reader
        self._budget = budget
        self._max_bytes = max_bytes
        self.deadline_s = deadline_s  # may change between frames
        self._parts: list[bytes] = []  # the unfinished frame, as read
        self._held = 0  # bytes in _parts, all taken from the budget

    async def next(self) -> bytes | None:
        """The next frame, newline included; None when the peer is done (or idle too long)
        with nothing unfinished. Raises FrameProblem when a bound is broken."""
        frame = self._split()
        if frame is not None:
            return frame
        deadline = time.monotonic() + self.deadline_s
        while True:
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise TimeoutError
                chunk = await asyncio.wait_for(self._reader.read(CHUNK), remaining)
            except TimeoutError:
                if self._held == 0:
                    return None
                raise FrameProblem(
                    "deadline", f"the frame did not arrive whole within {self.deadline_s:g}s"
                ) from None
            if not chunk:
                if not b"".join(self._parts).strip():
                    return None
                raise FrameProblem("unterminated", "the frame ended without a newline")
            self._hold(chunk)
            frame = self._split()
            if frame is not None:
                return frame

    def release(self) -> None:
        """Give back whatever is held (the connection is closing)."""
        self._budget.give(self._held)
        self._parts, self._held = [], 0

    def _hold(self, chunk: bytes) -> None:
        if self._held + len(chunk) > self._max_bytes and b"\n" not in chunk:
            raise FrameProblem("too_big", f"the frame exceeds {self._max_bytes} bytes")
        if not self._budget.take(len(chunk)):
            raise FrameProblem(
                "buffers_full", "the daemon holds too many unfinished frames; retry shortly"
            )
        self._parts.append(chunk)
        self._held += len(chunk)

    def _split(self) -> bytes | None:
        """Cut the first whole frame off what is held, if there is one."""
        if not self._parts or b"\n" not in self._parts[-1]:
            return None  # a newline can only have arrived in the newest chunk
        data = b"".join(self._parts)
        end = data.index(b"\n") + 1
        frame, rest = data[:end], data[end:]
        if len(frame) > self._max_bytes:
            raise FrameProblem("too_big", f"the frame exceeds {self._max_bytes} bytes")
        self._budget.give(self._held - len(rest))
        self._parts, self._held = ([rest] if rest else []), len(rest)
        return frame

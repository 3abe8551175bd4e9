"""The asyncio Unix-socket server: frames in, dispatch on worker threads, frames out.

Each connection is served in order (one request at a time per connection, any number of
connections up to `Limits.connections`). Whatever callers send, the daemon's share for each
stays bounded (`daemon.limits`): frames are read under a size cap, a deadline and a buffer
budget shared by all connections (`daemon.frames`); a token has at most `per_token` requests
queued or running, the next is refused `busy`; callers take turns for worker threads
(`daemon.fair_pool`), and the long-running verbs have threads of their own, so heartbeats,
claims and the sweep never wait behind a verify. A frame that is not a request gets an error
answer and is counted into a periodic audit row (`daemon.noise`); every request, a refused
one included, gets its own audit row.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from striatum import errors
from striatum.client import envelope
from striatum.daemon import memory, runtime
from striatum.daemon.dispatch import LONG_POLL, Dispatcher
from striatum.daemon.fair_pool import FairPool
from striatum.daemon.fanout import Fanout
from striatum.daemon.frames import CHUNK, Budget, FrameProblem, FrameReader
from striatum.daemon.limits import Limits
from striatum.daemon.noise import Noise
from striatum.verbs.catalog import BY_NAME

log = logging.getLogger("striatumd")
DAEMON_KEY = "(daemon)"  # the daemon's own work takes turns with the callers'
TRIM_AFTER_BYTES = 8 << 20  # a burst of buffered frames this big is handed back afterwards
OVERFLOW_DEADLINE_S = 1.0  # a connection past the cap must show its request at once
BACKLOG = 1024  # connections the kernel queues for us in a burst, before refusing them


@dataclass
class Seat:
    """One connection's place: past the cap or not, and whose token it counts against."""

    overflow: bool
    key: str | None = None


class Server:
    def __init__(
        self,
        dispatcher: Dispatcher,
        socket_path: Path,
        *,
        limits: Limits | None = None,
        fanout: Fanout | None = None,
    ) -> None:
        self._dispatcher = dispatcher
        self._fanout = fanout
        self._socket_path = socket_path
        self._limits = limits or Limits()
        self._fast = FairPool(self._limits.fast_workers, name="verb")
        self._long = FairPool(self._limits.long_workers, name="long-verb")
        self._budget = Budget(self._limits.buffer_bytes)
        self._noise = Noise()
        self._in_flight: Counter[str] = Counter()  # token -> requests queued or running
        self._seats: Counter[str] = Counter()  # token -> connections it holds
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        runtime.ensure_private_dir(self._socket_path.parent)
        self._socket_path.unlink(missing_ok=True)  # stale: we hold the runtime lock
        old_umask = os.umask(0o177)  # the socket is created 0600
        try:
            self._server = await asyncio.start_unix_server(
                self._serve_connection, path=str(self._socket_path), limit=CHUNK, backlog=BACKLOG
            )
        finally:
            os.umask(old_umask)
        os.chmod(self._socket_path, 0o600)

    async def run_sweep(self) -> int:
        """The lease sweep, on a thread of its own: it never queues behind callers."""
        return await asyncio.to_thread(self._dispatcher.sweep)

    async def housekeep_forever(self) -> None:
        """Audit counted noise once per period; hand memory back after a burst of frames."""
        tick = min(5.0, self._limits.noise_every_s)
        since_audit = 0.0
        while True:
            await asyncio.sleep(tick)
            since_audit += tick
            if since_audit >= self._limits.noise_every_s:
                since_audit = 0.0
                await self.audit_noise()
            if self._budget.reset_peak() >= TRIM_AFTER_BYTES:
                memory.trim()

    async def audit_noise(self) -> None:
        params = self._noise.drain()
        if params is None:
            return
        try:
            await self._on(self._fast, DAEMON_KEY, self._dispatcher.audit_noise, params)
        except errors.StriatumError:
            log.warning(
                "could not audit %d malformed frame(s): the database is unavailable",
                params["count"],
            )
        except Exception:
            log.exception("could not audit malformed frames")

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            # Since Python 3.12 wait_closed() also waits for open connections: close them.
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()
        await self.audit_noise()
        self._fast.shutdown()
        self._long.shutdown()
        self._socket_path.unlink(missing_ok=True)

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Past `Limits.connections` a connection is still heard, up to twice that many, but
        must show its request at once and is served only if its token holds few connections:
        one caller filling every seat cannot lock the others out."""
        cap = self._limits.connections
        if len(self._writers) >= 2 * cap:
            self._noise.count("connections_refused")
            busy = errors.Busy(f"the daemon serves {cap} connections at most")
            writer.write(envelope.error_frame(None, busy))
            writer.close()
            return
        seat = Seat(overflow=len(self._writers) >= cap)
        self._writers.add(writer)
        frames = FrameReader(
            reader,
            self._budget,
            max_bytes=envelope.MAX_FRAME_BYTES,
            deadline_s=OVERFLOW_DEADLINE_S if seat.overflow else self._limits.frame_deadline_s,
        )
        try:
            while (line := await self._next_frame(frames, writer)) is not None:
                if not await self._answer(writer, line, seat):
                    return
                frames.deadline_s = self._limits.frame_deadline_s
        except (ConnectionError, TimeoutError, asyncio.CancelledError):
            return
        finally:
            frames.release()
            self._writers.discard(writer)
            if seat.key is not None:
                self._seats[seat.key] -= 1
                if not self._seats[seat.key]:
                    del self._seats[seat.key]
            writer.close()

    async def _next_frame(self, frames: FrameReader, writer: asyncio.StreamWriter) -> bytes | None:
        """The next frame, or None when the connection is done (a broken bound is answered
        first: the stream can no longer be split into frames reliably)."""
        try:
            return await frames.next()
        except FrameProblem as problem:
            self._noise.count(problem.kind)
            error: errors.StriatumError = (
                errors.Busy(problem.message)
                if problem.kind == "buffers_full"
                else errors.ProtocolError(problem.message)
            )
            await self._send(writer, envelope.error_frame(None, error))
            return None

    async def _answer(self, writer: asyncio.StreamWriter, line: bytes, seat: Seat) -> bool:
        """Answer one frame; False when the connection must close (refused past the cap)."""
        if not line.strip():
            return True
        try:
            if len(line) > CHUNK:  # a big frame is parsed off the event loop
                request = await asyncio.to_thread(envelope.parse_request, line)
            else:
                request = envelope.parse_request(line)
        except errors.ProtocolError as error:
            self._noise.count("unparseable")
            await self._send(writer, envelope.error_frame(error.details.get("request_id"), error))
            return True
        key = request.token or "(no token)"
        if seat.key is None:
            seat.key = key
            self._seats[key] += 1
        if seat.overflow and self._seats[key] > self._limits.per_token:
            busy = errors.Busy(  # one line on an 80-column terminal
                f"this token holds {self._seats[key] - 1} of the daemon's connections; "
                "retry shortly",
                connections=self._limits.connections,
            )
            refused = await self._on(self._fast, key, self._dispatcher.refuse, request, busy)
            await self._send(writer, envelope.error_frame(request.id, refused))
            return False
        if request.method in LONG_POLL:
            await self._wait_for_news(request)
        outcome = await self._serve(request)
        if isinstance(outcome, errors.StriatumError):
            frame = envelope.error_frame(request.id, outcome)
        else:
            frame = envelope.ok_frame(request.id, outcome)
        await self._send(writer, frame)
        return True

    async def _serve(self, request: envelope.Request) -> Any:
        """The request's outcome: served in its token's turn, or refused `busy` (audited)."""
        key = request.token or "(no token)"
        verb = BY_NAME.get(request.method)
        pool = self._long if verb is not None and verb.long_running else self._fast
        try:
            if self._in_flight[key] >= self._limits.per_token:
                busy = errors.Busy(
                    f"this token already has {self._limits.per_token} requests in flight; "
                    "retry shortly",
                    limit=self._limits.per_token,
                )
                return await self._on(self._fast, key, self._dispatcher.refuse, request, busy)
            self._in_flight[key] += 1
            try:
                return await self._on(pool, key, self._dispatcher.serve, request)
            finally:
                self._in_flight[key] -= 1
                if not self._in_flight[key]:
                    del self._in_flight[key]
        except errors.StriatumError as error:  # e.g. the database is down: retryable
            return error
        except Exception:  # a bug: the caller gets one line, the log gets the traceback
            log.exception("request %s (%s) failed", request.id, request.method)
            return errors.StriatumError("internal error; see the daemon log")

    async def _on(self, pool: FairPool, key: str, work: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.wrap_future(pool.submit(key, functools.partial(work, *args)))

    async def _send(self, writer: asyncio.StreamWriter, frame: bytes) -> None:
        """Write one answer; a peer that does not read it within the deadline loses the
        connection (TimeoutError), so it cannot hold a slot by never reading. An answer the
        socket took whole (nearly all) leaves nothing to wait for: no timed wait is made (a
        task and a timer a request)."""
        writer.write(frame)
        if writer.transport.get_write_buffer_size():
            await asyncio.wait_for(writer.drain(), self._limits.frame_deadline_s)

    async def _wait_for_news(self, request: envelope.Request) -> None:
        """Wait, holding no thread and no connection, until the fan-out hears of an event the
        long poll asked about, or its timeout passes. Subscribed before peeking: nothing that
        commits in between is missed."""
        if self._fanout is None:
            return
        params = request.params if isinstance(request.params, dict) else {}
        run_id = params.get("run_id") if isinstance(params.get("run_id"), str) else None
        timeout = params.get("timeout_s", 25)
        timeout = timeout if isinstance(timeout, int) and not isinstance(timeout, bool) else 0
        subscription = self._fanout.subscribe(run_id)
        deadline = asyncio.get_running_loop().time() + min(timeout, 30)
        try:
            key = request.token or "(no token)"
            while not await self._on(self._fast, key, self._dispatcher.has_news, request):
                remaining = deadline - asyncio.get_running_loop().time()
                await asyncio.wait_for(subscription.woken.wait(), timeout=max(remaining, 0))
                if not subscription.unsure:
                    return
                # The listener reconnected: look again, and wait on if nothing came.
                subscription.woken.clear()
                subscription.unsure = False
        except TimeoutError:
            return
        finally:
            self._fanout.unsubscribe(subscription)

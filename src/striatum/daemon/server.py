"""The asyncio Unix-socket server: frames in, dispatch on worker threads, frames out.

Each connection is served in order (one request at a time per connection, any number of
connections at once). A malformed frame gets an error response and the connection stays open;
a frame over the size limit gets an error response and the connection is closed, because
the stream can no longer be split into frames reliably.
"""

from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from striatum import errors
from striatum.client import envelope
from striatum.daemon import runtime
from striatum.daemon.dispatch import LONG_POLL, Dispatcher
from striatum.daemon.fanout import Fanout

log = logging.getLogger("striatumd")


class Server:
    def __init__(
        self,
        dispatcher: Dispatcher,
        socket_path: Path,
        *,
        workers: int = 4,
        fanout: Fanout | None = None,
    ) -> None:
        self._dispatcher = dispatcher
        self._fanout = fanout
        self._socket_path = socket_path
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="verb")
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        runtime.ensure_private_dir(self._socket_path.parent)
        self._socket_path.unlink(missing_ok=True)  # stale: we hold the runtime lock
        old_umask = os.umask(0o177)  # the socket is created 0600
        try:
            self._server = await asyncio.start_unix_server(
                self._serve_connection, path=str(self._socket_path), limit=envelope.MAX_FRAME_BYTES
            )
        finally:
            os.umask(old_umask)
        os.chmod(self._socket_path, 0o600)

    async def run_sweep(self) -> int:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._dispatcher.sweep)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            # Since Python 3.12 wait_closed() also waits for open connections: close them.
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()
        self._executor.shutdown(wait=True)
        self._socket_path.unlink(missing_ok=True)

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    line = await reader.readuntil(b"\n")
                except asyncio.IncompleteReadError as partial:
                    if partial.partial.strip():
                        await self._answer_malformed(
                            writer, errors.ProtocolError("the frame ended without a newline"), None
                        )
                    return
                except asyncio.LimitOverrunError:
                    await self._answer_malformed(
                        writer,
                        errors.ProtocolError(f"the frame exceeds {envelope.MAX_FRAME_BYTES} bytes"),
                        None,
                    )
                    return
                await self._answer(writer, line)
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _answer(self, writer: asyncio.StreamWriter, line: bytes) -> None:
        if not line.strip():
            return
        try:
            request = envelope.parse_request(line)
        except errors.ProtocolError as error:
            await self._answer_malformed(writer, error, error.details.get("request_id"))
            return
        if request.method in LONG_POLL:
            await self._wait_for_news(request)
        loop = asyncio.get_running_loop()
        try:
            outcome = await loop.run_in_executor(self._executor, self._dispatcher.serve, request)
        except errors.StriatumError as error:  # e.g. the database is down: retryable
            outcome = error
        except Exception:  # a bug: the caller gets one line, the log gets the traceback
            log.exception("request %s (%s) failed", request.id, request.method)
            outcome = errors.StriatumError("internal error; see the daemon log")
        if isinstance(outcome, errors.StriatumError):
            frame = envelope.error_frame(request.id, outcome)
        else:
            frame = envelope.ok_frame(request.id, outcome)
        writer.write(frame)
        await writer.drain()

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
        try:
            loop = asyncio.get_running_loop()
            if await loop.run_in_executor(self._executor, self._dispatcher.has_news, request):
                return
            await asyncio.wait_for(subscription.woken.wait(), timeout=min(timeout, 30))
        except TimeoutError:
            return
        finally:
            self._fanout.unsubscribe(subscription)

    async def _answer_malformed(
        self, writer: asyncio.StreamWriter, error: errors.StriatumError, request_id: str | None
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(
                self._executor, self._dispatcher.refuse_malformed, error, request_id
            )
        except errors.StriatumError:
            log.warning("could not audit a malformed frame: the database is unavailable")
        except Exception:
            log.exception("could not audit a malformed frame")
        writer.write(envelope.error_frame(request_id, error))
        await writer.drain()

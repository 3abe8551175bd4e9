"""The web UI's only way to the daemon: verbs over the Unix socket, as the CLI calls them.

Reads use the caller's token (STRIATUM_TOKEN, else this host's operator token); actions use
this host's principal token and exist only when the server allows mutations. Short calls run
the CLI's blocking client in a worker thread; the long poll behind live streams speaks the
envelope on an asyncio connection instead, so a waiting stream holds no thread and closing it
closes its socket at once.
"""

from __future__ import annotations

import asyncio
import functools
import os
from typing import Any

from starlette.concurrency import run_in_threadpool

from striatum import errors, paths
from striatum.client import envelope, rpc


async def read(method: str, **params: Any) -> Any:
    """Call a read verb with the caller's own token."""
    return await run_in_threadpool(functools.partial(rpc.call, method, _sent(params)))


async def act(method: str, **params: Any) -> Any:
    """Call a verb as the principal (only the mutation routes do, after their checks)."""
    return await run_in_threadpool(
        functools.partial(rpc.call, method, _sent(params), as_role="principal")
    )


async def start_task(**params: Any) -> Any:
    """`run task` as the principal, with its steps on this machine (the workflow written,
    the supervisor launched) as the CLI and the MCP server take them."""
    from striatum.client.invoke import invoke
    from striatum.verbs.catalog import BY_NAME

    call = functools.partial(invoke, BY_NAME["run.task"], _sent(params), as_role="principal")
    return await run_in_threadpool(call)


def _sent(params: dict[str, Any]) -> dict[str, Any]:
    """Leave out what the form did not give: the verb's default applies."""
    return {k: v for k, v in params.items() if v is not None and v != ""}


async def wait_for_events(**params: Any) -> dict[str, Any]:
    """`events.wait` with the caller's token, on its own asyncio connection."""
    path = paths.socket_path()
    frame = envelope.request_frame(
        os.urandom(8).hex(), "events.wait", _sent(params), rpc.token_for(None)
    )
    try:
        rpc._check_owner(path)  # never hand a token to a planted socket
        reader, writer = await asyncio.open_unix_connection(
            str(path), limit=envelope.MAX_FRAME_BYTES
        )
    except (FileNotFoundError, ConnectionRefusedError):
        raise errors.DaemonUnreachable(
            f"no daemon is answering at {path}", hint="start one with: striatum daemon start"
        ) from None
    try:
        writer.write(frame)
        await writer.drain()
        answer: dict[str, Any] = envelope.parse_response(await reader.readuntil(b"\n"))
        return answer
    except (asyncio.IncompleteReadError, ConnectionError):
        raise errors.DaemonUnreachable("the daemon closed the connection") from None
    finally:
        writer.close()

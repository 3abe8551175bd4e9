"""Server-sent events: `/live[?run_id=RUN][&after=SEQ]` says `change` whenever events arrive.

It long-polls the daemon's `events.wait` (fed by LISTEN/NOTIFY) in a loop; the page's script
re-fetches its content on each `change`. `end` is sent once a watched run has ended. The
`id:` of each message is the cursor, so a reconnecting browser resumes where it stopped.
When the server shuts down, `close_streams` ends every stream at once, cleanly.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from striatum import errors
from striatum.web import calls, render

WAIT_S = 25
RETRY_S = 2.0
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
FINAL_ERRORS = frozenset({"not_found", "validation", "usage", "permission_denied"})


def _cursor(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or len(value) > 15:
        raise ValueError(value)
    return int(value)


async def live(request: Request) -> Response:
    run_id = request.query_params.get("run_id") or None
    try:
        after = _cursor(request.headers.get("last-event-id") or request.query_params.get("after"))
    except ValueError:
        return render.error_page(request, 400, "after must be a non-negative integer")
    closing = getattr(request.app.state, "closing", None) or asyncio.Event()
    return StreamingResponse(
        _stream(run_id, after, closing),
        media_type="text/event-stream",
        headers={"x-accel-buffering": "no"},
    )


def close_streams(app: Starlette) -> None:
    """End every open stream (callable from a signal handler: it only schedules)."""
    loop = getattr(app.state, "loop", None)
    if loop is not None and not loop.is_closed():
        loop.call_soon_threadsafe(app.state.closing.set)


async def _stream(
    run_id: str | None, after: int | None, closing: asyncio.Event
) -> AsyncIterator[str]:
    cursor = after
    while not closing.is_set():
        try:
            answer = await _wait(
                run_id, 0 if cursor is None else cursor, 1 if cursor is None else WAIT_S, closing
            )
        except errors.StriatumError as error:
            yield _message("unavailable", {"message": error.message})
            if error.code in FINAL_ERRORS or error.code.startswith("token_"):
                return  # retrying cannot help
            await asyncio.sleep(RETRY_S)
            continue
        if answer is None:  # the server is closing
            return
        if cursor is not None and answer["last_seq"] != cursor:
            yield _message(
                "change",
                {"last_seq": answer["last_seq"], "types": [e["type"] for e in answer["events"]]},
                event_id=answer["last_seq"],
            )
        elif cursor is not None:
            yield ": still here\n\n"
        cursor = answer["last_seq"]
        if answer.get("run_state") in TERMINAL:
            yield _message("end", {"run_state": answer["run_state"]})
            return


async def _wait(
    run_id: str | None, after: int, timeout_s: int, closing: asyncio.Event
) -> dict[str, Any] | None:
    """The long poll's answer, or None when the server starts closing first."""
    poll = asyncio.ensure_future(
        calls.wait_for_events(run_id=run_id, after_seq=after, timeout_s=timeout_s)
    )
    stop = asyncio.ensure_future(closing.wait())
    try:
        done, _ = await asyncio.wait({poll, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (poll, stop):
            task.cancel()
    return poll.result() if poll in done else None


def _message(event: str, data: dict[str, Any], event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data)}\n\n"


def routes() -> list[Route]:
    return [Route("/live", live, name="live")]

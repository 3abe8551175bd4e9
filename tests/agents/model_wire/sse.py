"""Server-sent event bodies, built whole so they can go out with a Content-Length."""

from __future__ import annotations

import json
from collections.abc import Iterable

from tests.agents.model_wire.turns import JsonObject


def named_events(events: Iterable[JsonObject]) -> bytes:
    """`event: TYPE` + `data: JSON` frames, the type taken from each payload's `type`."""
    frames = [f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events]
    return "".join(frames).encode()


def data_events(events: Iterable[JsonObject]) -> bytes:
    """Bare `data: JSON` frames (Gemini's `alt=sse`)."""
    return "".join(f"data: {json.dumps(e)}\r\n\r\n" for e in events).encode()

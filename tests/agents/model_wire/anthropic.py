"""Anthropic Messages, as Claude Code calls it (`POST /v1/messages?beta=true`, SSE)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from typing import Any

from tests.agents.model_wire import sse
from tests.agents.model_wire.turns import (
    MCP_SERVER,
    Final,
    HeldReplies,
    Ids,
    JsonObject,
    McpCall,
    Parsed,
    Reply,
    Shell,
    ToolCall,
    ToolResult,
    Turn,
    WriteFile,
    is_lookup,
    resume_id,
    tokens,
)

_CWD = re.compile(r"Primary working directory: (\S+)")
_REMINDER = "<system-reminder>"


def parse(body: JsonObject) -> Parsed | None:
    """The turn of a Claude Code request; None for a side request that offers no tools."""
    tools = tuple(str(t.get("name", "")) for t in body.get("tools", []))
    if not tools:
        return None
    system = _system_text(body.get("system"))
    messages = [m for m in body.get("messages", []) if m.get("role") in ("user", "assistant")]
    uses = [b for m in messages if m["role"] == "assistant" for b in _blocks(m["content"])]
    names = {str(b.get("id")): str(b.get("name")) for b in uses if b.get("type") == "tool_use"}
    turn = Turn(
        api="anthropic",
        model=str(body.get("model", "")),
        system=system,
        prompt=_prompt(messages),
        tool_results=_results(messages, names),
        tools=tools,
        cwd=_cwd(system),
        number=sum(1 for m in messages if m["role"] == "assistant" and not _lookup_only(m)),
    )
    assistants = [m for m in messages if m["role"] == "assistant"]
    latest = _use_ids(assistants[-1]) if assistants else []
    return Parsed(turn=turn, resume=resume_id(latest))


def render(reply: Reply, turn: Turn, ids: Ids, held: HeldReplies, *, resumed: bool) -> JsonObject:
    """The assistant message (non-streaming shape) answering `turn` with `reply`."""
    if isinstance(reply, Final):
        content: list[JsonObject] = [{"type": "text", "text": reply.text}]
    else:
        content = _tool_uses(reply, turn, ids, held, resumed=resumed)
    stop = "end_turn" if isinstance(reply, Final) else "tool_use"
    return {
        "id": ids.new("msg_"),
        "type": "message",
        "role": "assistant",
        "model": turn.model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": tokens(turn.system + turn.prompt), "output_tokens": 0},
    }


def side_message(body: JsonObject, ids: Ids) -> JsonObject:
    """A short text answer to a request outside the tool loop (titles, quota checks)."""
    turn = Turn(
        api="anthropic",
        model=str(body.get("model", "")),
        system="",
        prompt="",
        tool_results=(),
        tools=(),
        cwd=None,
        number=0,
    )
    return render(Final("ok"), turn, ids, HeldReplies(), resumed=True)


def stream(message: JsonObject) -> bytes:
    """The SSE events of `message`, as the Messages API streams them."""
    start = dict(message, content=[], stop_reason=None)
    events: list[JsonObject] = [{"type": "message_start", "message": start}]
    output = 0
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            opening: JsonObject = {"type": "text", "text": ""}
            delta: JsonObject = {"type": "text_delta", "text": block["text"]}
        else:
            opening = dict(block, input={})
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        output += tokens(json.dumps(block))
        events += [
            {"type": "content_block_start", "index": index, "content_block": opening},
            {"type": "content_block_delta", "index": index, "delta": delta},
            {"type": "content_block_stop", "index": index},
        ]
    stop = {"stop_reason": message["stop_reason"], "stop_sequence": None}
    events += [
        {"type": "message_delta", "delta": stop, "usage": {"output_tokens": output}},
        {"type": "message_stop"},
    ]
    return sse.named_events(events)


def error(status: int, message: str) -> JsonObject:
    """The Messages API error body for an HTTP status (also the payload of an `error` event)."""
    kind = {429: "rate_limit_error", 529: "overloaded_error", 400: "invalid_request_error"}
    return {"type": "error", "error": {"type": kind.get(status, "api_error"), "message": message}}


def models(model: str) -> JsonObject:
    """`GET /v1/models`: one model."""
    created = "2026-01-01T00:00:00Z"
    entry = {"type": "model", "id": model, "display_name": model, "created_at": created}
    return {"data": [entry], "has_more": False, "first_id": model, "last_id": model}


def _tool_uses(
    calls: Sequence[ToolCall], turn: Turn, ids: Ids, held: HeldReplies, *, resumed: bool
) -> list[JsonObject]:
    existing = [c for c in calls if isinstance(c, WriteFile) and os.path.exists(_abs(turn, c.path))]
    if existing and not resumed:
        # Claude's Write refuses to overwrite a file it has not Read in this conversation.
        reads = [
            _use(ids.new("toolu_", lookup=True), "Read", {"file_path": _abs(turn, c.path)})
            for c in existing
        ]
        held.hold(reads[0]["id"], calls)
        return reads
    return [_use(ids.new("toolu_"), *_claude_call(c, turn)) for c in calls]


def _claude_call(call: ToolCall, turn: Turn) -> tuple[str, JsonObject]:
    if isinstance(call, WriteFile):
        return "Write", {"file_path": _abs(turn, call.path), "content": call.content}
    if isinstance(call, Shell):
        return "Bash", {"command": call.command, "description": "Run a scripted command"}
    assert isinstance(call, McpCall)
    return f"mcp__{MCP_SERVER}__{call.tool}", dict(call.arguments)


def _use(call_id: str, name: str, arguments: JsonObject) -> JsonObject:
    return {"type": "tool_use", "id": call_id, "name": name, "input": arguments}


def _abs(turn: Turn, path: str) -> str:
    return os.path.join(turn.cwd or os.getcwd(), path)


def _blocks(content: Any) -> list[JsonObject]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content if isinstance(b, dict)]


def _system_text(system: Any) -> str:
    return "\n".join(str(b.get("text", "")) for b in _blocks(system or []))


def _prompt(messages: list[JsonObject]) -> str:
    first = next((m for m in messages if m["role"] == "user"), None)
    if first is None:
        return ""
    texts = [str(b.get("text", "")) for b in _blocks(first["content"]) if b.get("type") == "text"]
    return "\n".join(t for t in texts if not t.lstrip().startswith(_REMINDER))


def _results(messages: list[JsonObject], names: dict[str, str]) -> tuple[ToolResult, ...]:
    found = []
    for message in messages:
        for block in _blocks(message["content"]):
            call_id = str(block.get("tool_use_id", ""))
            if block.get("type") != "tool_result" or is_lookup(call_id):
                continue
            text = _system_text(block.get("content", ""))
            is_error = bool(block.get("is_error", False))
            found.append(ToolResult(tool=names.get(call_id, ""), text=text, is_error=is_error))
    return tuple(found)


def _use_ids(message: JsonObject) -> list[str]:
    return [str(b.get("id")) for b in _blocks(message["content"]) if b.get("type") == "tool_use"]


def _lookup_only(message: JsonObject) -> bool:
    ids = _use_ids(message)
    return bool(ids) and all(is_lookup(i) for i in ids)


def _cwd(system: str) -> str | None:
    match = _CWD.search(system)
    return match.group(1) if match else None

"""OpenAI Responses, as Codex calls it (`POST /v1/responses`, SSE)."""

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

_CWD = re.compile(r"<cwd>(.*?)</cwd>")
_EXIT = re.compile(r"(?:exited with code|exit code:?)\s*(-?\d+)", re.IGNORECASE)
_CALLS = ("function_call", "custom_tool_call", "tool_search_call")
_OUTPUTS = ("function_call_output", "custom_tool_call_output", "tool_search_output")
_NAMESPACE = f"mcp__{MCP_SERVER}"


def parse(body: JsonObject) -> Parsed:
    """The turn of a Codex request."""
    items = [i for i in body.get("input", []) if isinstance(i, dict)]
    user_texts = [t for i in items if i.get("role") == "user" for t in _texts(i)]
    runs = _model_runs(items)
    turn = Turn(
        api="openai",
        model=str(body.get("model", "")),
        system="\n".join(
            [str(body.get("instructions") or "")]
            + [t for i in items if i.get("role") == "developer" for t in _texts(i)]
        ),
        prompt=next((t.rstrip("\n") for t in user_texts if not _is_context(t)), ""),
        tool_results=_results(items),
        tools=tuple(_tool_names(body.get("tools", []))),
        cwd=next((m.group(1) for t in user_texts if (m := _CWD.search(t))), None),
        number=sum(1 for run in runs if not all(is_lookup(i) for i in run)),
    )
    return Parsed(turn=turn, resume=resume_id(runs[-1]) if runs else None)


def render(reply: Reply, turn: Turn, ids: Ids, held: HeldReplies, *, resumed: bool) -> JsonObject:
    """The completed response object answering `turn` with `reply`."""
    if isinstance(reply, Final):
        text = {"type": "output_text", "text": reply.text, "annotations": []}
        output = [
            {
                "type": "message",
                "id": ids.new("msg_"),
                "role": "assistant",
                "status": "completed",
                "content": [text],
            }
        ]
    else:
        output = _calls(reply, turn, ids, held, resumed=resumed)
    spent = tokens(json.dumps(output))
    usage = {
        "input_tokens": tokens(turn.system + turn.prompt),
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": spent,
        "output_tokens_details": {"reasoning_tokens": 0},
    }
    usage["total_tokens"] = usage["input_tokens"] + spent  # type: ignore[operator]
    return {
        "id": ids.new("resp_"),
        "object": "response",
        "model": turn.model,
        "status": "completed",
        "output": output,
        "usage": usage,
    }


def stream(response: JsonObject) -> bytes:
    """The SSE events of a completed response, as codex reads them."""
    started = dict(response, status="in_progress", output=[], usage=None)
    events: list[JsonObject] = [
        {"type": "response.created", "response": started},
        {"type": "response.in_progress", "response": started},
    ]
    for index, item in enumerate(response["output"]):
        events.append(
            {"type": "response.output_item.added", "output_index": index, "item": _opening(item)}
        )
        if item["type"] == "message":
            events.append(
                {
                    "type": "response.output_text.delta",
                    "item_id": item["id"],
                    "output_index": index,
                    "content_index": 0,
                    "delta": item["content"][0]["text"],
                }
            )
        events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    events.append({"type": "response.completed", "response": response})
    return sse.named_events(events)


def failed(status: int, message: str, model: str) -> JsonObject:
    """A `response.failed` event (an API error inside a 200 stream)."""
    code = "rate_limit_exceeded" if status == 429 else "server_error"
    response = {
        "id": "resp_failed",
        "object": "response",
        "model": model,
        "status": "failed",
        "error": {"code": code, "message": message},
        "output": [],
    }
    return {"type": "response.failed", "response": response}


def error(status: int, message: str) -> JsonObject:
    """The error body of an HTTP error status."""
    kind = "rate_limit_exceeded" if status == 429 else "server_error"
    return {"error": {"type": kind, "code": kind, "message": message, "param": None}}


def _calls(
    calls: Sequence[ToolCall], turn: Turn, ids: Ids, held: HeldReplies, *, resumed: bool
) -> list[JsonObject]:
    hidden = [c for c in calls if isinstance(c, McpCall) and c.tool not in turn.tools]
    if hidden and not resumed and "tool_search" in turn.tools:
        # Codex defers MCP tools: they are offered only after the model searches for them.
        query = " ".join(c.tool for c in hidden)
        call_id = ids.new("call_", lookup=True)
        held.hold(call_id, calls)
        return [
            {
                "type": "tool_search_call",
                "id": ids.new("ts_"),
                "call_id": call_id,
                "status": "completed",
                "execution": "client",
                "arguments": {"query": query, "limit": 8},
            }
        ]
    return [_codex_call(c, turn, ids) for c in calls]


def _codex_call(call: ToolCall, turn: Turn, ids: Ids) -> JsonObject:
    call_id = ids.new("call_")
    if isinstance(call, WriteFile) and "apply_patch" in turn.tools:
        return {
            "type": "custom_tool_call",
            "id": ids.new("ctc_"),
            "call_id": call_id,
            "name": "apply_patch",
            "input": _patch(turn, call),
            "status": "completed",
        }
    if isinstance(call, McpCall):
        return _function(ids, call_id, call.tool, dict(call.arguments), namespace=_NAMESPACE)
    command = call.command if isinstance(call, Shell) else _heredoc(call)
    if "exec_command" in turn.tools:
        return _function(ids, call_id, "exec_command", {"cmd": command, "login": False})
    return _function(ids, call_id, "shell", {"command": ["bash", "-c", command]})


def _function(
    ids: Ids, call_id: str, name: str, arguments: JsonObject, namespace: str | None = None
) -> JsonObject:
    item: JsonObject = {
        "type": "function_call",
        "id": ids.new("fc_"),
        "call_id": call_id,
        "name": name,
        "arguments": json.dumps(arguments),
        "status": "completed",
    }
    if namespace:
        item["namespace"] = namespace
    return item


def _patch(turn: Turn, call: WriteFile) -> str:
    """An apply_patch body replacing the whole file (apply_patch ends every line with LF)."""
    path = os.path.join(turn.cwd or os.getcwd(), call.path)
    new = [f"+{line}\n" for line in call.content.splitlines()] or ["+\n"]
    if not os.path.exists(path):
        return f"*** Begin Patch\n*** Add File: {call.path}\n{''.join(new)}*** End Patch\n"
    with open(path, encoding="utf-8") as existing:
        old = [f"-{line}\n" for line in existing.read().splitlines()]
    body = "".join(old + new)
    return f"*** Begin Patch\n*** Update File: {call.path}\n@@\n{body}*** End Patch\n"


def _heredoc(call: WriteFile) -> str:
    return (
        f"mkdir -p \"$(dirname '{call.path}')\" && cat > '{call.path}' <<'SCRIPTED_EOF'\n"
        f"{call.content}\nSCRIPTED_EOF"
    )


def _opening(item: JsonObject) -> JsonObject:
    if item["type"] == "message":
        return dict(item, status="in_progress", content=[])
    if item["type"] == "function_call":
        return dict(item, status="in_progress", arguments="")
    return dict(item, status="in_progress")


def _texts(item: JsonObject) -> list[str]:
    content = item.get("content", [])
    if isinstance(content, str):
        return [content]
    return [str(c.get("text", "")) for c in content if isinstance(c, dict) and "text" in c]


def _is_context(text: str) -> bool:
    stripped = text.strip()
    if stripped.startswith("# AGENTS.md instructions"):
        return True
    return stripped.startswith("<") and stripped.endswith(">")


def _tool_names(tools: list[Any]) -> list[str]:
    names = []
    for tool in tools:
        if not isinstance(tool, dict):
            continue
        names.append(str(tool.get("name") or tool.get("type")))
        names += [str(t.get("name")) for t in tool.get("tools", []) if isinstance(t, dict)]
    return names


def _model_runs(items: list[JsonObject]) -> list[list[str]]:
    """The call ids of each model response in the history (consecutive model items)."""
    runs: list[list[str]] = []
    previous_was_model = False
    for item in items:
        is_model = item.get("type") in (*_CALLS, "reasoning") or item.get("role") == "assistant"
        if is_model and not previous_was_model:
            runs.append([])
        if item.get("type") in _CALLS:
            runs[-1].append(str(item.get("call_id")))
        previous_was_model = is_model
    return runs


def _results(items: list[JsonObject]) -> tuple[ToolResult, ...]:
    names = {
        str(i.get("call_id")): str(i.get("name") or i.get("type"))
        for i in items
        if i.get("type") in _CALLS
    }
    found = []
    for item in items:
        call_id = str(item.get("call_id"))
        if item.get("type") not in _OUTPUTS or is_lookup(call_id):
            continue
        text = _output_text(item.get("output"))
        exit_code = _EXIT.search(text)
        failed = bool(exit_code and exit_code.group(1) != "0")
        found.append(ToolResult(tool=names.get(call_id, ""), text=text, is_error=failed))
    return tuple(found)


def _output_text(output: Any) -> str:
    if isinstance(output, str):
        return output
    if isinstance(output, list):
        return "\n".join(str(o.get("text", "")) for o in output if isinstance(o, dict))
    if isinstance(output, dict):
        return str(output.get("content") or output.get("output") or json.dumps(output))
    return json.dumps(output)

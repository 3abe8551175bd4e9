"""Gemini generateContent, as Gemini CLI calls it (`:streamGenerateContent?alt=sse`)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from typing import Any

from tests.agents.model_wire.turns import (
    MCP_SERVER,
    Final,
    Ids,
    JsonObject,
    Parsed,
    Reply,
    Shell,
    ToolCall,
    ToolResult,
    Turn,
    WriteFile,
    tokens,
)

_CWD = re.compile(r"Workspace Directories:\**\s*\n\s*-\s*(\S+)")
_CONTEXT = "<session_context>"


def parse(body: JsonObject, model: str) -> Parsed:
    """The turn of a Gemini CLI request for `model` (taken from the URL)."""
    contents = [c for c in body.get("contents", []) if isinstance(c, dict)]
    first = next((c for c in contents if c.get("role") == "user"), {})
    first_texts = [str(p["text"]) for p in first.get("parts", []) if "text" in p]
    context = "\n".join(first_texts)
    calls = [c for c in contents if c.get("role") == "model" and _calls(c)]
    turn = Turn(
        api="gemini",
        model=model,
        system=_texts(body.get("systemInstruction") or {}),
        prompt="\n".join(t for t in first_texts if not t.lstrip().startswith(_CONTEXT)),
        tool_results=_results(contents),
        tools=tuple(_tool_names(body.get("tools", []))),
        cwd=m.group(1).rstrip("/") if (m := _CWD.search(context)) else None,
        number=len(calls),
    )
    return Parsed(turn=turn, resume=None)


def render(reply: Reply, turn: Turn, ids: Ids) -> JsonObject:
    """One GenerateContentResponse answering `turn` with `reply`."""
    if isinstance(reply, Final):
        parts: list[JsonObject] = [{"text": reply.text}]
    else:
        parts = [_gemini_call(c, turn, ids) for c in reply]
    prompt = tokens(turn.system + turn.prompt)
    spent = tokens(json.dumps(parts))
    candidate = {"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}
    usage = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": spent,
        "totalTokenCount": prompt + spent,
    }
    return {
        "candidates": [candidate],
        "usageMetadata": usage,
        "modelVersion": turn.model,
        "responseId": ids.new("resp_"),
    }


def side_answer(body: JsonObject, model: str, ids: Ids) -> JsonObject:
    """A non-streaming helper call (next-speaker check, JSON-schema questions): a plain answer."""
    config = body.get("generationConfig") or {}
    schema = config.get("responseJsonSchema") or config.get("responseSchema") or {}
    text = json.dumps(_fill(schema)) if schema else "ok"
    turn = Turn(
        api="gemini",
        model=model,
        system="",
        prompt="",
        tool_results=(),
        tools=(),
        cwd=None,
        number=0,
    )
    return render(Final(text), turn, ids)


def error(status: int, message: str) -> JsonObject:
    """The Google API error body for an HTTP status."""
    state = {429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE"}.get(status, "INTERNAL")
    return {"error": {"code": status, "message": message, "status": state}}


def count(body: JsonObject) -> JsonObject:
    """`:countTokens`."""
    return {"totalTokens": tokens(json.dumps(body))}


def _gemini_call(call: ToolCall, turn: Turn, ids: Ids) -> JsonObject:
    args: JsonObject
    if isinstance(call, WriteFile):
        path = os.path.join(turn.cwd or os.getcwd(), call.path)
        name, args = "write_file", {"file_path": path, "content": call.content}
    elif isinstance(call, Shell):
        name, args = "run_shell_command", {"command": call.command}
    else:
        name, args = f"mcp_{MCP_SERVER}_{call.tool}", dict(call.arguments)
    return {"functionCall": {"id": ids.new("fn_"), "name": name, "args": args}}


def _fill(schema: Any) -> Any:
    """A value matching a response schema, choosing the user as the next speaker."""
    if not isinstance(schema, dict):
        return None
    kind = str(schema.get("type", "object")).lower()
    if kind == "object":
        props = schema.get("properties", {})
        return {k: ("user" if k == "next_speaker" else _fill(v)) for k, v in props.items()}
    if "enum" in schema:
        return schema["enum"][0]
    return {"string": "", "boolean": False, "integer": 0, "number": 0, "array": []}.get(kind)


def _calls(content: JsonObject) -> list[JsonObject]:
    return [p["functionCall"] for p in content.get("parts", []) if "functionCall" in p]


def _texts(content: JsonObject) -> str:
    return "\n".join(str(p.get("text", "")) for p in content.get("parts", []) if "text" in p)


def _tool_names(tools: list[Any]) -> list[str]:
    return [
        str(f.get("name"))
        for t in tools
        if isinstance(t, dict)
        for f in t.get("functionDeclarations", [])
    ]


def _results(contents: Sequence[JsonObject]) -> tuple[ToolResult, ...]:
    found = []
    for content in contents:
        for part in content.get("parts", []):
            answer = part.get("functionResponse")
            if not isinstance(answer, dict):
                continue
            response = answer.get("response") or {}
            is_error = isinstance(response, dict) and "error" in response
            text = response.get("error") if is_error else response.get("output", response)
            text = text if isinstance(text, str) else json.dumps(text)
            found.append(ToolResult(tool=str(answer.get("name")), text=text, is_error=is_error))
    return tuple(found)

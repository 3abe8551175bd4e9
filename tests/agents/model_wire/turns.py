"""The neutral conversation a script sees, and the neutral replies it gives.

A script is a plain callable `Callable[[Turn], Reply]`: it never sees an API's JSON. The wire
modules (`anthropic`, `openai`, `gemini`) turn each CLI's request into a `Turn` and a `Reply`
into that CLI's real tool calls.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

Api: TypeAlias = Literal["anthropic", "openai", "gemini"]
JsonObject: TypeAlias = dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class ToolResult:
    """What the CLI sent back for one tool call (`tool` is the CLI's own tool name)."""

    tool: str
    text: str
    is_error: bool


@dataclass(frozen=True, kw_only=True)
class Turn:
    """One model request of a conversation, as a script sees it.

    `prompt` is the first user message without the CLI's own context blocks; `tool_results`
    holds every result so far (oldest first, harness-internal look-ups left out); `number`
    counts the script's earlier replies in this conversation (0 on the first request).
    """

    api: Api
    model: str
    system: str
    prompt: str
    tool_results: tuple[ToolResult, ...]
    tools: tuple[str, ...]
    cwd: str | None
    number: int


@dataclass(frozen=True)
class WriteFile:
    """Write `content` to `path` (relative to the CLI's working directory)."""

    path: str
    content: str


@dataclass(frozen=True)
class Shell:
    """Run a shell command through the CLI's shell tool."""

    command: str


@dataclass(frozen=True)
class McpCall:
    """Call a Striatum MCP tool by its plain name (`claim_next`), whatever the CLI calls it."""

    tool: str
    arguments: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Final:
    """End the conversation with this text."""

    text: str


ToolCall: TypeAlias = WriteFile | Shell | McpCall
Reply: TypeAlias = Final | Sequence[ToolCall]
Script: TypeAlias = Callable[[Turn], Reply]

MCP_SERVER = "striatum"
PRELUDE_MARK = "lookup"


@dataclass(frozen=True, kw_only=True)
class Parsed:
    """A model request understood: the turn, and the look-up whose held reply is now due."""

    turn: Turn
    resume: str | None


class HeldReplies:
    """Replies waiting behind a harness-internal look-up (a Read before a Write, a tool search).

    The look-up's call id contains `PRELUDE_MARK`; when its result arrives the held reply is sent
    without asking the script again.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, Sequence[ToolCall]] = {}

    def hold(self, call_id: str, calls: Sequence[ToolCall]) -> None:
        with self._lock:
            self._held[call_id] = calls

    def release(self, call_id: str) -> Sequence[ToolCall] | None:
        with self._lock:
            return self._held.pop(call_id, None)


class Ids:
    """Unique call and message ids for one server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next = 0

    def new(self, prefix: str, *, lookup: bool = False) -> str:
        with self._lock:
            self._next += 1
            return f"{prefix}{PRELUDE_MARK if lookup else ''}{self._next:06d}"


def is_lookup(call_id: str) -> bool:
    """Whether a call id belongs to a harness-internal look-up."""
    return PRELUDE_MARK in call_id


def resume_id(latest_call_ids: Sequence[str]) -> str | None:
    """The look-up id to resume when the latest calls were all look-ups, else None."""
    if latest_call_ids and all(is_lookup(i) for i in latest_call_ids):
        return latest_call_ids[0]
    return None


def tokens(text: str) -> int:
    """A rough token count for usage numbers (four characters a token)."""
    return max(1, len(text) // 4)

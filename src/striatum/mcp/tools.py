"""MCP tool descriptions generated from the verb catalog (pure: no SDK, no I/O).

A tool's name is its verb's dotted name with `.` and `-` spelled `_` (`run.start` is
`run_start`, `claim-next` is `claim_next`): some clients accept only `[A-Za-z0-9_]` in tool names.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from striatum.verbs.catalog import VERBS
from striatum.verbs.spec import Verb


class ToolSpec(NamedTuple):
    name: str
    title: str
    description: str
    input_schema: dict[str, Any]
    read_only: bool
    verb: Verb


def tool_name(verb: Verb) -> str:
    return verb.name.replace(".", "_").replace("-", "_")


def describe(verb: Verb) -> ToolSpec:
    text = verb.summary + (f"\n\n{verb.description}" if verb.description else "")
    text += (f"\n\nSame as `striatum {' '.join(verb.words)}`. Needs capability "
             f"'{verb.capability.value}'. Returns the verb's JSON result.")
    return ToolSpec(name=tool_name(verb), title=f"striatum {' '.join(verb.words)}",
                    description=text, input_schema=verb.json_schema(include_local=True),
                    read_only=not verb.writes, verb=verb)


TOOLS: dict[str, ToolSpec] = {spec.name: spec for spec in map(describe, VERBS)}
assert len(TOOLS) == len(VERBS), "two verbs map to one MCP tool name"

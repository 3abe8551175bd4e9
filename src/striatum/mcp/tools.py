"""MCP tool descriptions generated from the verb catalog (pure: no SDK, no I/O).

A tool's name is its verb's dotted name with `.` and `-` spelled `_` (`run.start` is
`run_start`, `claim-next` is `claim_next`): some clients accept only `[A-Za-z0-9_]` in tool names.

Annotations (hints to a client, never trusted for security): `readOnlyHint` when the verb
writes nothing but its audit row (no other row, no file, no directory: `Verb.writes` false);
for a writing verb, `destructiveHint` false when it only adds (new rows, new files, never
replacing or ending anything) and `idempotentHint` true when calling it again with the same
arguments changes nothing more. Verbs in neither table keep the protocol's cautious defaults
(destructive, not idempotent).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from striatum.model.verb_spec import Verb
from striatum.verbs.catalog import VERBS

# Writing verbs that only add: a token, a prepared run, a session, a heartbeat, a published
# artifact, an escalation, an export into a new directory. (`adopt` is not among them: it
# rewrites Striatum's entries in agent config files and can replace the notify hook.)
ADDITIVE = frozenset(
    {
        "token.create",
        "run.prepare",
        "register-session",
        "heartbeat",
        "publish-artifact",
        "block",
        "corpus.export",
    }
)
# Writing verbs that leave things as they were when repeated (adopting twice changes nothing).
IDEMPOTENT = frozenset({"adopt"})


class ToolSpec(NamedTuple):
    name: str
    title: str
    description: str
    input_schema: dict[str, Any]
    read_only: bool
    destructive: bool
    idempotent: bool
    verb: Verb


def tool_name(verb: Verb) -> str:
    return verb.name.replace(".", "_").replace("-", "_")


def describe(verb: Verb) -> ToolSpec:
    text = verb.summary + (f"\n\n{verb.description}" if verb.description else "")
    text += (
        f"\n\nSame as `striatum {' '.join(verb.words)}`. Needs capability "
        f"'{verb.capability.value}'. Returns the verb's JSON result."
    )
    return ToolSpec(
        name=tool_name(verb),
        title=f"striatum {' '.join(verb.words)}",
        description=text,
        input_schema=verb.json_schema(include_local=True),
        read_only=not verb.writes,
        destructive=verb.writes and verb.name not in ADDITIVE,
        idempotent=not verb.writes or verb.name in IDEMPOTENT,
        verb=verb,
    )


TOOLS: dict[str, ToolSpec] = {spec.name: spec for spec in map(describe, VERBS)}
assert len(TOOLS) == len(VERBS), "two verbs map to one MCP tool name"

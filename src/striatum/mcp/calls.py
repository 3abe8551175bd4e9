"""One MCP tool call: the same request the CLI would send, through the daemon, as the caller.

Runs on the caller's machine like the CLI: relative paths are taken from the server's working
directory, `repo` defaults to its git root, and a verb's local follow-up (e.g. `run start`
launching a supervisor) happens here too. Roles and the audit log apply in the daemon.

Two kinds of failure, as the MCP specification (2025-11-25, server/tools "Error Handling")
separates them: a call that cannot be made at all (an unknown tool) is a JSON-RPC protocol
error, -32602; a call that was made and failed (its arguments refused by the verb's checks,
the daemon's refusal, a local failure) is a tool result with `isError` so the model can read
it and correct itself.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from striatum import errors
from striatum.client import local_params
from striatum.client.invoke import invoke
from striatum.mcp.tools import TOOLS


class Outcome(NamedTuple):
    payload: dict[str, Any]  # the verb's result, or {"error": {...}}
    is_error: bool


def call_tool(name: str, arguments: dict[str, Any] | None, *, token: str | None) -> Outcome:
    """Never raises for a Striatum failure: it becomes an error outcome with our code.
    An unknown tool is the caller's protocol error (`unknown_tool`), checked before."""
    try:
        result = _call(name, arguments or {}, token)
    except errors.StriatumError as error:
        return failure(error)
    except Exception as error:  # the last line of defence: a tool error, never a crash
        return failure(
            errors.StriatumError(
                f"internal error: {type(error).__name__}: {error}",
                hint="please report this with the tool call you made",
            )
        )
    return Outcome(result if isinstance(result, dict) else {"result": result}, False)


def failure(error: errors.StriatumError) -> Outcome:
    return Outcome({"error": payload(error)}, True)


def payload(error: errors.StriatumError) -> dict[str, Any]:
    """Striatum's error shape on every door (SPEC §2): code, message, hint, details, exit."""
    return {**error.to_dict(), "exit_code": error.exit_code}


def protocol_error(code: int, error: errors.StriatumError, **extra: Any) -> MCPError:
    """A JSON-RPC error: the spec's `code`, our message, our payload (and `extra`) as data."""
    return MCPError(code=code, message=error.message, data={**payload(error), **extra})


def unknown_tool(name: str) -> MCPError:
    error = errors.NotFound(f"Unknown tool: {name!r}", hint="list the tools: tools/list")
    return protocol_error(INVALID_PARAMS, error, tool=name)


def _call(name: str, arguments: dict[str, Any], token: str | None) -> Any:
    spec = TOOLS.get(name)
    if spec is None:
        raise errors.NotFound(f"no tool {name!r}", hint="list the tools: tools/list")
    verb = spec.verb
    given = {k: v for k, v in arguments.items() if v is not None}
    # Paths relative to the server's cwd first (as the CLI does), then the verb's checks:
    # local params too, since they never reach the daemon.
    verb.validate(local_params.complete(verb, given, None))
    return invoke(verb, given, token=token)

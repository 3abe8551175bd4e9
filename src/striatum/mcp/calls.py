"""One MCP tool call: the same request the CLI would send, through the daemon, as the caller.

Runs on the caller's machine like the CLI: relative paths are taken from the server's working
directory, `repo` defaults to its git root, and a verb's local follow-up (e.g. `run start`
launching a supervisor) happens here too. Roles and the audit log apply in the daemon.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from striatum import errors
from striatum.cli import local_params
from striatum.cli.invoke import invoke
from striatum.mcp.tools import TOOLS


class Outcome(NamedTuple):
    payload: dict[str, Any]  # the verb's result, or {"error": {...}}
    is_error: bool


def call_tool(name: str, arguments: dict[str, Any] | None, *, token: str | None) -> Outcome:
    """Never raises for a Striatum failure: it becomes an error outcome with our code."""
    try:
        result = _call(name, arguments or {}, token)
    except errors.StriatumError as error:
        return failure(error)
    except Exception as error:  # the last line of defence: a tool error, never a crash
        return failure(errors.StriatumError(
            f"internal error: {type(error).__name__}: {error}",
            hint="please report this with the tool call you made"))
    return Outcome(result if isinstance(result, dict) else {"result": result}, False)


def failure(error: errors.StriatumError) -> Outcome:
    return Outcome({"error": {**error.to_dict(), "exit_code": error.exit_code}}, True)


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

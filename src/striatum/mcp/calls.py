"""One MCP tool call: the same request the CLI would send, through the daemon, as the caller.

Runs on the caller's machine like the CLI: relative paths are taken from the server's working
directory, `repo` defaults to its git root, and a verb's local follow-up (e.g. `run start`
launching a supervisor) happens here too. Roles and the audit log apply in the daemon.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from striatum import errors
from striatum.cli import after, client, local_params
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
    checked = verb.validate(arguments)  # local params too: they never reach the daemon
    sent = {k: v for k, v in checked.items() if k in arguments and v is not None}
    sent = local_params.complete(verb, sent, None)
    sent, local = local_params.split_local(verb, sent)
    result = client.call(verb.name, sent, token=token)
    if token is not None:  # what the hook starts (a supervisor) acts as the caller, too
        local["caller_token"] = token
    return after.run_hook(verb.after, result, local)

"""One verb call from a door on the caller's machine (the CLI, its fast path, MCP).

Fill in what only this machine knows (absolute paths, the repository), keep the CLI-local
params, send the rest to the daemon, then run the verb's local follow-up. Light imports only:
the fast path uses it.

A verb's `before`/`after` steps act on the caller's machine (start a supervisor, write an
agent's config), so they live with the doors (`striatum.cli.after`, `striatum.cli.agent_checks`);
the verb names them as "module:function" and they are resolved here only when a call needs them.
"""

from __future__ import annotations

import importlib

from striatum.client import local_params, rpc

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (checkers honour the name)
if TYPE_CHECKING:
    from typing import Any

    from striatum.client.call_spec import CallSpec
    from striatum.model.verb_spec import Verb

# errors.EXIT_OK, restated so that a successful call never imports the error classes (the
# CLI's start path); tests/unit/test_verb_index.py checks that the two agree.
EXIT_OK = 0


def invoke(
    verb: Verb | CallSpec,
    params: dict[str, Any],
    *,
    repo: str | None = None,
    as_role: str | None = None,
    token: str | None = None,
) -> Any:
    """The result to show. `token` (an MCP caller over HTTP) also goes to what a follow-up
    starts, so a launched supervisor acts as the caller, never as this process."""
    sent = local_params.complete(verb, params, repo)
    sent, local = local_params.split_local(verb, sent)
    if token is not None:
        local["caller_token"] = token
    if as_role is not None:
        local["caller_role"] = as_role
    replaced = run_check(verb.before, sent, local)
    if replaced is not None:  # `run task` sends the workflow it wrote instead
        sent = replaced
    result = rpc.call(verb.name, sent, as_role=as_role, token=token)
    return run_hook(verb.after, result, local)


def exit_code(verb: Verb | CallSpec, result: Any) -> int:
    """0, or the integrity code when the verb's result is a verdict that says not ok."""
    if not (verb.verdict and isinstance(result, dict) and result.get("ok") is False):
        return EXIT_OK
    from striatum import errors

    return errors.EXIT_CODES["integrity"]


def run_check(
    dotted: str | None, params: dict[str, Any], local: dict[str, Any]
) -> dict[str, Any] | None:
    """A verb's check before it leaves this machine: it refuses by raising, and may answer
    the params to send instead (None: send them as they are)."""
    if not dotted:
        return None
    replaced: dict[str, Any] | None = _load(dotted)(params, local)
    return replaced


def run_hook(dotted: str | None, result: Any, local: dict[str, Any]) -> Any:
    """The result to show: the hook's, when it adds what it did, else the verb's own."""
    if not dotted:
        return result
    extended = _load(dotted)(result, local)
    return result if extended is None else extended


def _load(dotted: str) -> Any:
    module, function = dotted.split(":")
    return getattr(importlib.import_module(module), function)

"""One verb call from a door on the caller's machine (the CLI, its fast path, MCP).

Fill in what only this machine knows (absolute paths, the repository), keep the CLI-local
params, send the rest to the daemon, then run the verb's local follow-up. Light imports only:
the fast path uses it.
"""

from __future__ import annotations

from typing import Any

from striatum.cli import after, client, local_params
from striatum.verbs.spec import Verb


def invoke(
    verb: Verb,
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
    after.run_check(verb.before, sent, local)
    result = client.call(verb.name, sent, as_role=as_role, token=token)
    return after.run_hook(verb.after, result, local)

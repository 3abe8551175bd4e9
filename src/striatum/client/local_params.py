"""What the CLI fills in before a verb leaves this machine: absolute paths and the repository.

Used by both the click commands and the fast path, so they send the same request.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (checkers honour the name)
if TYPE_CHECKING:
    from typing import Any

    from striatum.client.call_spec import CallSpec
    from striatum.model.verb_spec import Verb


def complete(
    verb: Verb | CallSpec, params: dict[str, Any], repo_option: str | None
) -> dict[str, Any]:
    """Absolutize path params; give a `repo` param the --repo option or the cwd's git root."""
    filled = dict(params)
    for param in verb.params:
        if param.name == "repo" and filled.get("repo") is None:
            found = repo_option or git_root(os.getcwd())
            if found is not None:
                filled["repo"] = found
        if param.path and isinstance(filled.get(param.name), str):
            filled[param.name] = os.path.abspath(filled[param.name])
    return filled


def git_root(start: str) -> str | None:
    """The nearest directory at or above `start` holding a .git entry."""
    current = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def split_local(
    verb: Verb | CallSpec, params: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what goes to the daemon, what the CLI keeps for itself)."""
    local_names = {p.name for p in verb.params if p.local}
    return (
        {k: v for k, v in params.items() if k not in local_names},
        {k: v for k, v in params.items() if k in local_names},
    )

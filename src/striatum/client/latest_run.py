"""`latest` (or `-`) as a run id: the newest run of the repository, asked of the daemon.

The CLI doors resolve it before the call, so the daemon, its answer and the audit only ever
see the real id; in human mode the pick is said on stderr. Light imports: the fast path uses it.
"""

from __future__ import annotations

import os
import sys

from striatum.client import local_params, rpc

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (checkers honour the name)
if TYPE_CHECKING:
    from typing import Any

ALIASES = ("latest", "-")
RUN_PARAM = "run_id"
ANY_ID = "id"  # `why ID`: a run, job, lease... id


def resolve(
    params: dict[str, Any],
    *,
    repo: str | None,
    as_role: str | None,
    quiet: bool = False,
) -> dict[str, Any]:
    """`params` with a `latest` run id replaced by the newest run's id (`why latest` too: its
    `id` names a run when no run is given)."""
    if params.get(RUN_PARAM) in ALIASES:
        key = RUN_PARAM
    elif params.get(RUN_PARAM) is None and params.get(ANY_ID) in ALIASES:
        key = ANY_ID
    else:
        return params
    newest = newest_run(params.get("repo") or repo, as_role)  # a verb's own --repo first
    if not quiet:
        sys.stderr.write(f"striatum: latest run: {newest['run_id']} ({newest['state']})\n")
    return {**params, key: newest["run_id"]}


def newest_run(repo: str | None, as_role: str | None) -> dict[str, Any]:
    """`run.latest` for --repo, else the cwd's git root (the daemon refuses when neither)."""
    where = repo or local_params.git_root(os.getcwd())
    sent = {} if where is None else {"repo": os.path.abspath(where)}
    found: dict[str, Any] = rpc.call("run.latest", sent, as_role=as_role)
    return found

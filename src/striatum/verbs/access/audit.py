"""audit.list."""

from __future__ import annotations

from typing import Any

from striatum import errors
from striatum.engine.context import Context
from striatum.store import chains

MAX_LIMIT = 1000


def list_(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    limit = params["limit"]
    if not 1 <= limit <= MAX_LIMIT:
        raise errors.ValidationError(
            f"--limit must be between 1 and {MAX_LIMIT}", parameter="limit"
        )
    return {"rows": [entry.to_dict() for entry in chains.latest_audit(ctx.conn, limit)]}

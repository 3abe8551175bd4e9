"""daemon.status and whoami."""

from __future__ import annotations

from typing import Any

from striatum.engine.context import Context
from striatum.model.roles import ROLE_CAPABILITIES
from striatum.store import connection, privileges, tokens


def status(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    info = ctx.daemon
    now = tokens.now(ctx.conn)
    return {
        "pid": info.pid,
        "host": info.host,
        "version": info.version,
        "socket": info.socket,
        "database": info.database,
        "server_version": info.server_version,
        "instance_id": privileges.database_identity(ctx.conn)[0],
        "started_at": info.started_at.isoformat(),
        "uptime_s": round((now - info.started_at).total_seconds(), 1),
        "anchoring": None if info.anchoring is None else info.anchoring(),
        "database_state": None if info.database_state is None else info.database_state(),
        # Statements and committed transactions since start, this request's so far included:
        # benchmarks take the difference across a drive.
        "work": connection.work_done(),
    }


def whoami(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    role = ctx.caller.role
    return {
        "token_id": ctx.caller.token_id,
        "role": role.value,
        "capabilities": sorted(c.value for c in ROLE_CAPABILITIES[role]),
    }

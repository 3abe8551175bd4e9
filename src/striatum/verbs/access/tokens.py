"""token.create, token.list, token.revoke."""

from __future__ import annotations

from typing import Any

from striatum import errors
from striatum.engine.context import Context
from striatum.model import tokens as token_rules
from striatum.model.roles import Role
from striatum.store import tokens


def create(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    now = tokens.now(ctx.conn)
    expires_at = token_rules.parse_expiry(params["expires"], now) if params["expires"] else None
    minted = token_rules.mint()
    stored = tokens.insert(
        ctx.conn, minted, role=Role(params["role"]), label=params["label"], expires_at=expires_at
    )
    return {**describe(stored, now), "secret": minted.secret}


def list_(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    now = tokens.now(ctx.conn)
    found = tokens.list_all(ctx.conn, include_dead=params["all"])
    return {"tokens": [describe(token, now) for token in found]}


def revoke(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    token_id = params["token_id"]
    current = tokens.lock(ctx.conn, token_id)
    if current is None:
        raise errors.NotFound(f"no token {token_id!r}", token_id=token_id)
    if current.revoked_at is not None:
        raise errors.Conflict(f"token {token_id} is already revoked", token_id=token_id)
    return describe(tokens.revoke(ctx.conn, token_id), tokens.now(ctx.conn))


def describe(token: tokens.StoredToken, now: Any) -> dict[str, Any]:
    """A token as every door shows it: never the secret, always its state."""
    if token.revoked_at is not None:
        state = "revoked"
    elif token.expires_at is not None and token.expires_at <= now:
        state = "expired"
    else:
        state = "live"
    return {
        "token_id": token.token_id,
        "role": token.role.value,
        "label": token.label,
        "state": state,
        "created_at": _iso(token.created_at),
        "expires_at": _iso(token.expires_at),
        "revoked_at": _iso(token.revoked_at),
    }


def _iso(moment: Any) -> str | None:
    return None if moment is None else str(moment.isoformat())

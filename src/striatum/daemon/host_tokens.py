"""The operator and principal tokens of this host, created on the daemon's first start.

Secrets live only in the 0600 files of the runtime directory; the database keeps their
SHA-256. A file whose token the database no longer accepts (revoked, expired, or from another
database) is replaced, and the replacement is audited.
"""

from __future__ import annotations

import secrets

from striatum import errors, paths
from striatum.daemon import runtime
from striatum.model import tokens as token_rules
from striatum.model.roles import Role
from striatum.store import chains, tokens
from striatum.store import connection as db

HOST_ROLES = (Role.OPERATOR, Role.PRINCIPAL)


def ensure(conn: db.Conn, host: str) -> list[str]:
    """Make sure each host role has a live token file; return the roles minted now."""
    minted_now = []
    place = f"{host}:{paths.runtime_dir()}"
    for role in HOST_ROLES:
        secret = runtime.read_token(role.value)
        if secret is not None and _accepted(conn, secret, role):
            runtime.make_private(paths.token_file(role.value))  # kept: tightened if loosened
            continue
        minted = db.in_transaction(conn, lambda c, r=role: _mint(c, r, place))  # type: ignore[misc]
        runtime.write_token(role.value, minted)
        minted_now.append(role.value)
    return minted_now


def _accepted(conn: db.Conn, secret: str, role: Role) -> bool:
    stored, now = tokens.find_for_request(conn, token_rules.digest(secret))
    try:
        token_rules.accept(None if stored is None else stored.record(), now)
    except errors.StriatumError:
        return False
    return stored is not None and stored.role == role


def _mint(conn: db.Conn, role: Role, place: str) -> str:
    """A new host token; the one it replaces (lost file, say) is revoked, not left live."""
    label = f"{role.value} token of {place}"
    replaced = tokens.revoke_by_label(conn, role=role, label=label)
    minted = token_rules.mint()
    tokens.insert(conn, minted, role=role, label=label, expires_at=None)
    chains.append_audit(
        conn,
        request_id="boot-" + secrets.token_hex(4),
        method="daemon.mint_host_token",
        actor="striatumd",
        role="daemon",
        ok=True,
        error_code=None,
        params={"role": role.value, "token_id": minted.token_id, "revoked": replaced},
    )
    return minted.secret

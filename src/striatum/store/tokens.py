"""Tokens as stored: role, label, expiry, revocation, and the secret's SHA-256 only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from psycopg.rows import DictRow

from striatum.model.roles import Role
from striatum.model.tokens import Minted, TokenRecord
from striatum.store import connection as db
from striatum.store.sql import queries


@dataclass(frozen=True, kw_only=True)
class StoredToken:
    token_id: str
    role: Role
    label: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    lease_id: str | None = None  # lane tokens: the one lease they act for

    @classmethod
    def from_row(cls, row: DictRow) -> StoredToken:
        return cls(
            token_id=row["token_id"],
            role=Role(row["role"]),
            label=row["label"],
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            revoked_at=row["revoked_at"],
            lease_id=row["lease_id"],
        )

    def record(self) -> TokenRecord:
        return TokenRecord(
            token_id=self.token_id,
            role=self.role,
            label=self.label,
            expires_at=self.expires_at,
            revoked_at=self.revoked_at,
        )


def insert(
    conn: db.Conn,
    minted: Minted,
    *,
    role: Role,
    label: str,
    expires_at: dt.datetime | None,
    lease_id: str | None = None,
) -> StoredToken:
    row = db.fetch_one(
        conn,
        queries("tokens")["insert_token"],
        {
            "token_id": minted.token_id,
            "role": role.value,
            "label": label,
            "secret_sha256": minted.secret_sha256,
            "expires_at": expires_at,
            "lease_id": lease_id,
        },
    )
    assert row is not None
    return StoredToken.from_row(row)


def find_for_request(conn: db.Conn, secret_sha256: str) -> tuple[StoredToken | None, dt.datetime]:
    """The token whose secret hashes to `secret_sha256` (None if none) and the database
    clock to judge it by: what every request asks first, in one trip."""
    row = db.fetch_one(
        conn, queries("tokens")["find_for_request"], {"secret_sha256": secret_sha256}
    )
    assert row is not None
    found = None if row["token_id"] is None else StoredToken.from_row(row)
    return found, row["now"]


def list_all(conn: db.Conn, *, include_dead: bool) -> list[StoredToken]:
    rows = db.fetch_all(conn, queries("tokens")["list_tokens"], {"all": include_dead})
    return [StoredToken.from_row(row) for row in rows]


def lock(conn: db.Conn, token_id: str) -> StoredToken | None:
    row = db.fetch_one(conn, queries("tokens")["lock_token"], {"token_id": token_id})
    return None if row is None else StoredToken.from_row(row)


def revoke(conn: db.Conn, token_id: str) -> StoredToken:
    row = db.fetch_one(conn, queries("tokens")["revoke_token"], {"token_id": token_id})
    assert row is not None
    return StoredToken.from_row(row)


def revoke_by_label(conn: db.Conn, *, role: Role, label: str) -> list[str]:
    """Revoke every live token with this role and label; return their ids."""
    rows = db.fetch_all(
        conn, queries("tokens")["revoke_by_label"], {"role": role.value, "label": label}
    )
    return [str(row["token_id"]) for row in rows]


def now(conn: db.Conn) -> dt.datetime:
    row = db.fetch_one(conn, queries("tokens")["now"])
    assert row is not None
    return row["now"]  # type: ignore[no-any-return]

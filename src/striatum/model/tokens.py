"""Tokens: minting secrets and deciding whether a presented token is acceptable."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from striatum import errors
from striatum.model.roles import Role

SECRET_PREFIX = "stm_"
_DURATION = re.compile(r"^(\d{1,12})([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_LIFETIME = dt.timedelta(days=3653)


@dataclass(frozen=True, kw_only=True)
class Minted:
    token_id: str
    secret: str  # shown once, never stored
    secret_sha256: str


@dataclass(frozen=True, kw_only=True)
class TokenRecord:
    token_id: str
    role: Role
    label: str
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


def mint() -> Minted:
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    return Minted(
        token_id="tok_" + secrets.token_hex(6), secret=secret, secret_sha256=digest(secret)
    )


def digest(secret: str) -> str:
    """What the database stores in place of a secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def accept(record: TokenRecord | None, now: dt.datetime) -> TokenRecord:
    """The token if it may be used now; otherwise the precise reason it may not."""
    if record is None:
        raise errors.TokenInvalid(hint="check STRIATUM_TOKEN or the token file")
    if record.revoked_at is not None:
        raise errors.TokenRevoked(f"token {record.token_id} was revoked", token_id=record.token_id)
    if record.expires_at is not None and record.expires_at <= now:
        raise errors.TokenExpired(
            f"token {record.token_id} expired at {record.expires_at.isoformat()}",
            token_id=record.token_id,
        )
    return record


def parse_expiry(text: str, now: dt.datetime) -> dt.datetime:
    """`30m`, `12h`, `7d`, `2w`, or an ISO 8601 timestamp with a timezone."""
    match = _DURATION.match(text.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        if amount == 0:
            raise errors.ValidationError("--expires must be in the future", field="expires")
        seconds = amount * _UNIT_SECONDS[unit]
        if seconds > MAX_LIFETIME.total_seconds():
            raise errors.ValidationError("--expires may be at most 10 years away", field="expires")
        return now + dt.timedelta(seconds=seconds)
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise errors.ValidationError(
            f"--expires {text!r} is neither a duration (30m, 12h, 7d, 2w) nor an ISO timestamp",
            field="expires",
        ) from None
    if moment.tzinfo is None:
        raise errors.ValidationError(
            "--expires timestamp needs a timezone (e.g. ...Z)", field="expires"
        )
    if moment <= now:
        raise errors.ValidationError("--expires must be in the future", field="expires")
    if moment - now > MAX_LIFETIME:
        raise errors.ValidationError("--expires may be at most 10 years away", field="expires")
    return moment

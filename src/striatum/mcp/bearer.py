"""The HTTP door's token check: an ASGI middleware in front of the SDK's streamable HTTP app.

Every HTTP request (initialize, ping and the listings included) must carry `Authorization:
Bearer <token>` naming a live token of the daemon behind this server; otherwise the answer is
the error's HTTP status from the error table (`errors.CODES`: 401 with `WWW-Authenticate:
Bearer` for a token problem, 503 when the daemon or its database cannot answer) and a JSON body
`{"error": {code, message, hint, details, exit_code}}`, before the MCP layer sees the request.
A client that checks its connection with `tools/list` thus learns at once that its token is
wrong.

The check is a `whoami` call through the daemon (which audits it). A token that passed is
trusted for `TRUST_S` seconds so listings stay fast; a revoked or expired token fails from
the next request after that. Failures are never cached. The Host/Origin check (DNS
rebinding) runs first, so a foreign page still gets the SDK's 421/403 and not a token hint.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable

import anyio
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from striatum import errors
from striatum.client import rpc
from striatum.mcp.calls import payload

TRUST_S = 2.0
_MAX_TRUSTED = 256


def bearer_token(header: str) -> str:
    """The token of an `Authorization` header value; `token_missing` when there is none."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.TokenMissing(
            "MCP over HTTP needs `Authorization: Bearer <token>` on every request",
            hint="striatum token create --role operator",
        )
    return token.strip()


def check_with_daemon(token: str) -> None:
    """Raise the daemon's token error (or its unavailability) for this token."""
    rpc.call("whoami", {}, token=token)


class BearerGate:
    """Refuses an HTTP request without a live Bearer token; lifespan passes through."""

    def __init__(
        self,
        app: ASGIApp,
        security: TransportSecuritySettings,
        *,
        check: Callable[[str], None] = check_with_daemon,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.hosts = TransportSecurityMiddleware(security)
        self.check = check
        self.clock = clock
        self.trusted: dict[str, float] = {}  # sha256 of a token -> when its trust ends

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = await self.hosts.validate_request(Request(scope), is_post=False)
        if refusal is None:
            try:
                await self.admit(Headers(scope=scope).get("authorization", ""))
            except errors.StriatumError as error:
                refusal = refused(error)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def admit(self, header: str) -> None:
        token = bearer_token(header)
        key = hashlib.sha256(token.encode()).hexdigest()
        now = self.clock()
        if self.trusted.get(key, 0.0) > now:
            return
        await anyio.to_thread.run_sync(self.check, token)
        if len(self.trusted) >= _MAX_TRUSTED:
            self.trusted = {k: until for k, until in self.trusted.items() if until > now}
        if len(self.trusted) < _MAX_TRUSTED:
            self.trusted[key] = now + TRUST_S


def refused(error: errors.StriatumError) -> Response:
    """The error's HTTP status from the error table (401 for a token, 503 when the daemon or
    its database could not answer: not the caller's fault), its payload as the body."""
    body = json.dumps({"error": payload(error)}, sort_keys=True, default=str)
    status = error.http_status
    if status != 401:
        return Response(body, status_code=status, media_type="application/json")
    challenge = 'Bearer realm="striatum"'
    if error.code != "token_missing":
        challenge += ', error="invalid_token"'  # RFC 6750 §3.1: no error code when absent
    headers = {"WWW-Authenticate": challenge}
    return Response(body, status_code=status, media_type="application/json", headers=headers)

"""The web UI's walls: loopback only, a known Host, strict headers, and checked mutations.

- The server binds loopback addresses only (`require_loopback`, checked at start-up).
- Every request must name this server in its Host header (a page on another site cannot
  reach it through DNS rebinding).
- Every response carries a strict Content-Security-Policy: no inline script or style, no
  plugin, no framing, forms only to this origin.
- A mutation needs the server to allow mutations, the form's per-server secret, and an
  Origin (or Referer) that is this server.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from striatum import errors
from striatum.loopback import bracketed, is_loopback

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "cache-control": "no-store",
}
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def require_loopback(host: str) -> None:
    """Refuse (usage, exit 2) to serve on anything but a loopback address."""
    if not is_loopback(host):
        raise errors.UsageError(
            f"--host {host!r} is not a loopback address; the web UI serves this machine only",
            hint="use --host 127.0.0.1 (or ::1), and an SSH tunnel to reach it from elsewhere",
            host=host,
        )


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """The Host header values that name this server."""
    names = (*LOOPBACK_NAMES, bracketed(host))
    bare = names if port == 80 else ()  # browsers leave the default port out
    return frozenset({f"{name}:{port}" for name in names} | set(bare))


class Guard:
    """ASGI middleware: refuse unknown Host headers, add the security headers."""

    def __init__(self, app: ASGIApp, *, hosts: frozenset[str]) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if Headers(scope=scope).get("host", "") not in self.hosts:
            response = PlainTextResponse(
                "unknown Host header: this server answers only to its own loopback address",
                status_code=400,
                headers=HEADERS,
            )
            await response(scope, receive, send)
            return

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [
                    (k.encode(), v.encode()) for k, v in HEADERS.items() if k.encode() not in names
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_guarded)


@dataclass(frozen=True, kw_only=True)
class MutationPolicy:
    allowed: bool
    secret: str

    def refusal(self, headers: Mapping[str, str], form: Mapping[str, str]) -> str | None:
        """Why this mutation is refused, or None when it may go ahead."""
        if not self.allowed:
            return "this server is read-only: start it with --allow-mutations to act"
        if not same_origin(headers):
            return "cross-origin request refused (Origin/Referer is not this server)"
        if not hmac.compare_digest(form.get("secret", "").encode(), self.secret.encode()):
            return "the form's secret does not match this server's (reload the page)"
        return None


def same_origin(headers: Mapping[str, str]) -> bool:
    """The Origin header (else the Referer) names the host the request was sent to."""
    host = headers.get("host", "")
    source = headers.get("origin") or headers.get("referer") or ""
    if not source or source == "null":
        return False
    parts = urlsplit(source)
    return parts.scheme in ("http", "https") and parts.netloc == host and bool(host)

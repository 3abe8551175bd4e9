"""The two steps of every action, and the message after it, without any script.

An action's first POST answers a confirmation page; only that page's form carries the
confirmation token (an HMAC of the action's path under the server's secret), so a button on a
page cannot act on one click. After the action, a flash message travels to the next page in
a signed, short-lived cookie and is shown once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from starlette.requests import Request
from starlette.responses import Response

FLASH_COOKIE = "striatum_flash"
FLASH_SECONDS = 60
MAX_FLASH_CHARS = 500


def token(secret: str, path: str) -> str:
    """The confirmation token of one action path (the same for the life of the server)."""
    return _sign(secret, f"confirm:{path}")


def confirmed(secret: str, path: str, given: str) -> bool:
    return hmac.compare_digest(given.encode(), token(secret, path).encode())


def set_flash(response: Response, secret: str, message: str) -> None:
    """Carry `message` to the next page the browser shows."""
    text = message[:MAX_FLASH_CHARS]
    encoded = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
    response.set_cookie(
        FLASH_COOKIE,
        f"{encoded}.{_sign(secret, f'flash:{text}')}",
        max_age=FLASH_SECONDS,
        path="/",
        httponly=True,
        samesite="strict",
    )


def take_flash(request: Request, secret: str) -> str | None:
    """The message carried by this request's cookie, if this server signed it."""
    value = request.cookies.get(FLASH_COOKIE, "")
    encoded, _, signature = value.partition(".")
    if not signature:
        return None
    try:
        text = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    if not hmac.compare_digest(signature.encode(), _sign(secret, f"flash:{text}").encode()):
        return None
    return text


def clear_flash(response: Response) -> None:
    response.delete_cookie(FLASH_COOKIE, path="/", httponly=True, samesite="strict")


def _sign(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()[:32]

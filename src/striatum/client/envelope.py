"""RPC envelope v1: newline-delimited JSON, one request and one response per line.

Request:  {"v": 1, "id": str, "method": str, "params": object, "token": str}
Response: {"v": 1, "id": str|null, "ok": true, "result": any}
      or  {"v": 1, "id": str|null, "ok": false, "error": {code, message, hint, details}}

Standard library only, and neither typing nor the error classes on a successful call's way:
the CLI imports this on its fast path.
"""

from __future__ import annotations

import json
import re

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (checkers honour the name)
if TYPE_CHECKING:
    from typing import Any, TypeGuard

    from striatum import errors

VERSION = 1
MAX_FRAME_BYTES = 1 << 20  # 1 MiB, newline included


class Request:
    """A request frame as the daemon reads it."""

    __slots__ = ("id", "method", "params", "token")

    def __init__(self, id: str, method: str, params: Any, token: str | None) -> None:
        self.id, self.method, self.params, self.token = id, method, params, token


_METHOD = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


def _clean_text(value: str) -> bool:
    """No NUL and no lone surrogate: such text can be neither audited nor stored."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _valid_id(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and 0 < len(value) <= 128 and _clean_text(value)


def parse_request(line: bytes) -> Request:
    """Decode one frame; a ProtocolError carries the request id when one could be read."""
    from striatum import errors  # the daemon's side: not on the CLI's start path
    from striatum.model import bounded_json

    try:
        frame = bounded_json.loads(line, locate=False)  # on the daemon's event loop: no scan
    except bounded_json.BoundsError as error:
        known = error.document  # a number refused: the rest was read, the id too
        request_id = known.get("id") if isinstance(known, dict) else None
        raise errors.ProtocolError(
            f"the frame is out of bounds: {error.problem}",
            request_id=request_id if _valid_id(request_id) else None,
        ) from None
    except ValueError:
        raise errors.ProtocolError("the frame is not valid UTF-8 JSON") from None
    if not isinstance(frame, dict):
        raise errors.ProtocolError("the frame must be a JSON object")
    request_id = frame.get("id")
    if not _valid_id(request_id):
        raise errors.ProtocolError(
            "'id' must be a string of 1 to 128 characters (no NUL, valid Unicode)"
        )
    if frame.get("v") != VERSION:
        raise errors.ProtocolError(
            f"unsupported envelope version {frame.get('v')!r}; this daemon speaks v{VERSION}",
            request_id=request_id,
        )
    method, token = frame.get("method"), frame.get("token")
    if not isinstance(method, str) or not _METHOD.match(method):
        raise errors.ProtocolError(
            "'method' must be a verb name such as token.create", request_id=request_id
        )
    if token is not None and (not isinstance(token, str) or not _clean_text(token)):
        raise errors.ProtocolError("'token' must be a string", request_id=request_id)
    return Request(id=request_id, method=method, params=frame.get("params"), token=token)


def request_frame(request_id: str, method: str, params: dict[str, Any], token: str | None) -> bytes:
    body = {"v": VERSION, "id": request_id, "method": method, "params": params, "token": token}
    return json.dumps(body, separators=(",", ":")).encode() + b"\n"


def ok_frame(request_id: str | None, result: Any) -> bytes:
    body = {"v": VERSION, "id": request_id, "ok": True, "result": result}
    return json.dumps(body, separators=(",", ":"), default=str).encode() + b"\n"


def error_frame(request_id: str | None, error: errors.StriatumError) -> bytes:
    body = {"v": VERSION, "id": request_id, "ok": False, "error": error.to_dict()}
    return json.dumps(body, separators=(",", ":"), default=str).encode() + b"\n"


_NOT_JSON = object()


def parse_response(line: bytes) -> Any:
    """The result of a response frame, or the StriatumError it carries, raised."""
    try:
        frame = json.loads(line)
    except ValueError:
        frame = _NOT_JSON
    if isinstance(frame, dict) and "ok" in frame and frame["ok"]:
        return frame.get("result")
    from striatum import errors  # only now: a successful call never loads the error classes

    if frame is _NOT_JSON:
        raise errors.ProtocolError("the daemon sent a frame that is not JSON")
    if not isinstance(frame, dict) or "ok" not in frame:
        raise errors.ProtocolError("the daemon sent a frame that is not a v1 response")
    raise errors.from_dict(frame.get("error") or {})

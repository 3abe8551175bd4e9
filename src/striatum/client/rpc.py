"""The RPC client: one verb is one socket round trip. Standard library only (fast start):
the error classes load only when a call fails, typing never."""

from __future__ import annotations

# The C socket type that socket.py wraps: socket.py's import builds enum classes of every
# constant, a third of a bare interpreter start-up, for nothing a client uses.
import _socket
import os

from striatum import paths
from striatum.client import envelope

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (checkers honour the name)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from striatum import errors

TIMEOUT_S = 120.0


def token_for(as_role: str | None) -> str | None:
    """With --as, that host token file; else STRIATUM_TOKEN; else the operator token file.

    An agent process (STRIATUM_LEASE is set) may not switch to a host token: it acts with its
    lane token. A guard, not a sandbox: agents run as the operator's user (SPEC §10)."""
    lease, token = paths.setting("STRIATUM_LEASE"), paths.setting("STRIATUM_TOKEN")
    if as_role and lease:
        from striatum import errors

        raise errors.PermissionDenied(
            "an agent (STRIATUM_LEASE is set) acts with its lane token; --as is refused"
        )
    if token and not as_role:
        return token
    if lease:  # e.g. an agent CLI that dropped STRIATUM_TOKEN
        from striatum import errors

        raise errors.TokenMissing(
            "STRIATUM_LEASE is set but STRIATUM_TOKEN is not: an agent "
            "acts with its lane token, never this host's",
            hint="pass STRIATUM_TOKEN through to the agent's tools "
            "(striatum adopt --profile configures the MCP server so)",
        )
    role = as_role or "operator"
    try:
        return paths.token_file(role).read_text().strip() or None
    except (FileNotFoundError, NotADirectoryError):
        return None
    except PermissionError:
        from striatum import errors

        raise errors.PermissionDenied(
            f"cannot read the {role} token file {paths.token_file(role)}"
        ) from None


def call(
    method: str,
    params: dict[str, Any],
    *,
    as_role: str | None = None,
    token: str | None = None,
    timeout_s: float = TIMEOUT_S,
) -> Any:
    """Send one request and return its result, or raise the error the daemon sent back.

    `token` (the MCP server's HTTP callers bring their own) overrides the usual lookup."""
    frame = envelope.request_frame(
        os.urandom(8).hex(), method, params, token if token is not None else token_for(as_role)
    )
    path = paths.socket_path()
    try:
        _check_owner(path)
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout_s)
            sock.connect(str(path))
            sock.sendall(frame)
            return envelope.parse_response(_read_line(sock))
        finally:
            sock.close()
    except OSError as error:
        raise _unreachable(error, path, timeout_s) from None


def _unreachable(error: OSError, path: Path, timeout_s: float) -> errors.DaemonUnreachable:
    """What a failed connection or exchange tells the caller."""
    from striatum import errors

    if isinstance(
        error, FileNotFoundError | ConnectionRefusedError | ConnectionResetError | BrokenPipeError
    ):
        return errors.DaemonUnreachable(
            f"no daemon is answering at {path}", hint="start one with: striatum daemon start"
        )
    if isinstance(error, TimeoutError):
        return errors.DaemonUnreachable(
            f"the daemon at {path} did not answer within {timeout_s:.0f}s"
        )
    return errors.DaemonUnreachable(f"cannot reach the daemon at {path}: {error.strerror or error}")


def _check_owner(path: Path) -> None:
    """Never hand a token to a socket someone else planted."""
    owner = os.stat(path).st_uid
    if owner not in (os.geteuid(), 0):
        from striatum import errors

        raise errors.PermissionDenied(
            f"refusing the socket {path}: it belongs to uid {owner}, not to you",
            hint="check STRIATUM_RUNTIME_DIR",
        )


def _read_line(sock: _socket.socket) -> bytes:
    chunks = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionResetError
        chunks.append(chunk)
        if chunk.endswith(b"\n"):
            return b"".join(chunks)

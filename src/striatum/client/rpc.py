"""The RPC client: one verb is one socket round trip. Standard library only (fast start):
the error classes load only when a call fails, typing never.

A long-lived caller (the supervisor, a bench) may keep its connection (`keep=True`): one per
thread, never written to once it has sat idle for half the daemon's idle deadline (the daemon
may have closed it), so a request is never sent where it could be lost unread."""

from __future__ import annotations

# The C socket type that socket.py wraps: socket.py's import builds enum classes of every
# constant, a third of a bare interpreter start-up, for nothing a client uses.
import _socket
import os
import time

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
        return _token_file(paths.token_file(role))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except PermissionError:
        from striatum import errors

        raise errors.PermissionDenied(
            f"cannot read the {role} token file {paths.token_file(role)}"
        ) from None


_READ: dict[str, tuple[tuple[int, int, int], str | None]] = {}  # path: (its stat, its token)


def _token_file(path: Path) -> str | None:
    """The token in `path`, read again only when the file changed (a long-lived caller makes
    thousands of calls; a stat costs a third of a read). Tokens are replaced by a rename,
    which gives the file a new inode."""
    facts = os.stat(path)
    stamp = (facts.st_ino, facts.st_mtime_ns, facts.st_size)
    known = _READ.get(str(path))
    if known is not None and known[0] == stamp:
        return known[1]
    with open(path, encoding="utf-8") as handle:
        token = handle.read().strip() or None
    _READ[str(path)] = (stamp, token)
    return token


def call(
    method: str,
    params: dict[str, Any],
    *,
    as_role: str | None = None,
    token: str | None = None,
    timeout_s: float = TIMEOUT_S,
    keep: bool = False,
) -> Any:
    """Send one request and return its result, or raise the error the daemon sent back.

    `token` (the MCP server's HTTP callers bring their own) overrides the usual lookup;
    `keep`: on this thread's kept connection (the module's docstring)."""
    frame = envelope.request_frame(
        os.urandom(8).hex(), method, params, token if token is not None else token_for(as_role)
    )
    path = paths.socket_path()
    if keep:
        return _kept_call(path, frame, timeout_s)
    try:
        sock = _connected(path, timeout_s)
        try:
            answer = _exchange(sock, frame, timeout_s)
        finally:
            sock.close()
    except OSError as error:
        raise _unreachable(error, path, timeout_s) from None
    return envelope.parse_response(answer)


def _connected(path: Path, timeout_s: float) -> _socket.socket:
    """A connection to the daemon's socket (once its owner is checked)."""
    _check_owner(path)
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout_s)
        sock.connect(str(path))
    except OSError:
        sock.close()
        raise
    return sock


def _exchange(sock: _socket.socket, frame: bytes, timeout_s: float) -> bytes:
    """One request frame sent, its answer frame read."""
    sock.settimeout(timeout_s)
    sock.sendall(frame)
    return _read_line(sock)


class _Kept:
    """One thread's kept connection; closed with its thread (or on the next bad write)."""

    __slots__ = ("path", "sock", "used")

    def __init__(self) -> None:
        self.sock: _socket.socket | None = None
        self.path: Path | None = None
        self.used = 0.0

    def drop(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def __del__(self) -> None:
        self.drop()


_KEPT: Any = None  # a threading.local holding each thread's _Kept, once a call keeps one


def _kept_call(path: Path, frame: bytes, timeout_s: float) -> Any:
    """One request on this thread's kept connection, made (again) when there is none, when
    the socket path changed, or when it sat idle too long for the daemon to have kept it."""
    global _KEPT
    if _KEPT is None:
        import threading  # only a long-lived caller pays for it

        _KEPT = threading.local()
    kept = getattr(_KEPT, "conn", None)
    if kept is None:
        kept = _KEPT.conn = _Kept()
    if kept.sock is not None and (
        time.monotonic() - kept.used > _idle_limit_s() or kept.path != path
    ):
        kept.drop()
    try:
        if kept.sock is None:
            kept.sock, kept.path = _connected(path, timeout_s), path
        answer = _exchange(kept.sock, frame, timeout_s)
    except OSError as error:
        kept.drop()
        raise _unreachable(error, path, timeout_s) from None
    kept.used = time.monotonic()
    return envelope.parse_response(answer)


def _idle_limit_s() -> float:
    """Half the daemon's deadline for an idle connection (STRIATUM_FRAME_DEADLINE_S, 30 s)."""
    return paths.number_setting("STRIATUM_FRAME_DEADLINE_S", 30.0) / 2


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

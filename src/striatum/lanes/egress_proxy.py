"""The egress proxy of `strict` lane sandboxes (docs/SPEC.md §10, sandboxes): an HTTP proxy on
a Unix socket, run by the supervisor outside the sandbox, that lets an agent reach only the
hosts its lane allows (model/egress_rules.py).

A `strict` sandbox has a network namespace of its own (nothing but its own loopback), and this
socket bound in; inside, lanes/net_bridge.py listens on the sandbox's loopback and carries each
connection here, and the agent's HTTP(S)_PROXY names that listener. Two kinds of request are
served: `CONNECT host:port` (HTTPS: the bytes then go through untouched) and a plain-HTTP
request in absolute form (`GET http://127.0.0.1:8080/v1/... HTTP/1.1`: a local model). Anything
else, or a host not allowed, is answered 403 with the reason, and reported to `on_refused`.
"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from striatum.lanes import net_bridge
from striatum.model.egress_rules import Allowed

HEAD_LIMIT = 64 * 1024  # a request's line and headers; more is refused
CONNECT_TIMEOUT_S = 10.0
CHUNK = 64 * 1024


class EgressProxy:
    """One proxy (one allow list) on its own socket in a private folder; `close` ends it."""

    def __init__(self, allowed: Allowed, on_refused: Callable[[str], None]) -> None:
        self.allowed = allowed
        self.on_refused = on_refused
        # Short, whatever the repository's path or TMPDIR: a Unix socket's path has about 100
        # bytes at most.
        short = "/tmp" if os.access("/tmp", os.W_OK) else None
        self.folder = Path(tempfile.mkdtemp(prefix="striatum-egress-", dir=short))
        self.path = self.folder / "proxy.sock"
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(self.path))
        os.chmod(self.path, 0o600)
        self._listener.listen(64)
        self._closed = False
        threading.Thread(target=self._accept, name="egress", daemon=True).start()

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with contextlib.suppress(OSError):
            self.path.unlink()
            self.folder.rmdir()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client:
            head, rest = _read_head(client)
            if head is None:
                return _refuse(client, "400 Bad Request", "a request line and headers, please")
            target = _target(head)
            if target is None:
                return _refuse(
                    client,
                    "400 Bad Request",
                    "only CONNECT host:port and absolute http:// requests go through",
                )
            method, host, port, forwarded = target
            if not self.allowed.allows(host, port):
                self.on_refused(f"{host}:{port}")
                return _refuse(
                    client,
                    "403 Forbidden",
                    f"{host}:{port} is not among the hosts this lane may reach "
                    f"({self.allowed}); add it to the lane's allow_hosts",
                )
            try:
                upstream = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S)
            except OSError as error:
                return _refuse(client, "502 Bad Gateway", f"cannot reach {host}:{port}: {error}")
            # Either side may hang up at any moment: that ends the relay, never with a trace.
            with upstream, contextlib.suppress(OSError):
                upstream.settimeout(None)
                if method == "CONNECT":
                    client.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                    if rest:
                        upstream.sendall(rest)
                else:
                    upstream.sendall(forwarded + rest)
                net_bridge.relay(client, upstream)


def _read_head(client: socket.socket) -> tuple[bytes | None, bytes]:
    """The request's head (through the blank line) and whatever came after it."""
    data = b""
    client.settimeout(CONNECT_TIMEOUT_S)
    try:
        while b"\r\n\r\n" not in data:
            chunk = client.recv(CHUNK)
            if not chunk or len(data) + len(chunk) > HEAD_LIMIT:
                return None, b""
            data += chunk
    except OSError:
        return None, b""
    client.settimeout(None)
    head, _, rest = data.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n", rest


def _target(head: bytes) -> tuple[str, str, int, bytes] | None:
    """(method, host, port, the head to send upstream) of a request the proxy serves."""
    line, _, headers = head.partition(b"\r\n")
    try:
        method, target, version = line.decode("ascii").split(" ")
    except (UnicodeDecodeError, ValueError):
        return None
    if method == "CONNECT":
        host, _, number = target.rpartition(":")
        if not host or not number.isdigit():
            return None
        return method, host.strip("[]"), int(number), b""
    parts = urlsplit(target)
    if parts.scheme != "http" or not parts.hostname:
        return None
    try:
        port = parts.port or 80
    except ValueError:
        return None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    kept = [
        h
        for h in headers.split(b"\r\n")
        if h and not h.lower().startswith((b"proxy-connection:", b"proxy-authorization:"))
    ]
    forwarded = f"{method} {path} {version}\r\n".encode("ascii")
    return method, parts.hostname, port, forwarded + b"\r\n".join(kept) + b"\r\n\r\n"


def _refuse(client: socket.socket, status: str, why: str) -> None:
    body = f"striatum egress proxy: {why}\n".encode()
    with contextlib.suppress(OSError):
        client.sendall(
            f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode("ascii")
            + body
        )

"""Inside a `strict` lane sandbox: listen on the sandbox's own loopback and carry each
connection to the egress proxy's Unix socket, while the agent runs as this process's child.

    python3 -I -S net_bridge.py SOCKET PORT -- AGENT ARGV...

It runs inside the sandbox with Python's standard library only (`-S`: no site packages, so it
needs nothing of Striatum's installation). The agent's HTTP(S)_PROXY names 127.0.0.1:PORT
(lanes/sandbox.py sets them). Its exit status is the agent's (128 + N for a signal N).
"""

import contextlib
import select
import signal
import socket
import subprocess
import sys
import threading

CHUNK = 64 * 1024
# Its own statuses (it cannot import errors.py: it runs without Striatum's installation): a
# wrong call, and an agent that cannot start (127, as a shell says it). Otherwise the agent's.
USAGE, NOT_STARTED = 2, 127


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[2] != "--":
        sys.stderr.write("usage: net_bridge.py SOCKET PORT -- AGENT ARGV...\n")
        return USAGE
    target, port, command = argv[0], int(argv[1]), argv[3:]
    listener = socket.create_server(("127.0.0.1", port), backlog=64)
    threading.Thread(target=_accept, args=(listener, target), daemon=True).start()
    try:
        child = subprocess.Popen(command)
    except OSError as error:
        sys.stderr.write(f"cannot start {command[0]}: {error}\n")
        return NOT_STARTED
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, lambda sig, _frame: child.send_signal(sig))
    code = child.wait()
    return code if code >= 0 else 128 - code


def _accept(listener: socket.socket, target: str) -> None:
    while True:
        client, _ = listener.accept()
        threading.Thread(target=_carry, args=(client, target), daemon=True).start()


def _carry(client: socket.socket, target: str) -> None:
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        upstream.connect(target)
    except OSError:
        client.close()
        upstream.close()
        return
    with client, upstream:
        relay(client, upstream)


def relay(a: socket.socket, b: socket.socket) -> None:
    """Copy both ways until both sides have closed theirs (a half-close is passed on). The
    egress proxy relays with it too."""
    ends = {a: b, b: a}
    while ends:
        try:
            readable, _, _ = select.select(list(ends), [], [])
        except (OSError, ValueError):
            return
        for source in readable:
            try:
                data = source.recv(CHUNK)
            except OSError:
                data = b""
            sink = ends[source]
            if data:
                try:
                    sink.sendall(data)
                except OSError:
                    return
                continue
            del ends[source]
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    sys.exit(main(arguments))

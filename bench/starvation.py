"""Can the lowest role or a stranger on the socket starve the daemon?

Two floods against one daemon, with lanes heartbeating their leases throughout:
1. a reader token keeps 500 `daemon.verify --deep` requests outstanding (each answer is
   followed by a new request) for the whole measurement: heartbeat and operator `status`
   latency (p50/p99) without and with the flood, how many verifies were served or refused
   `busy`, and leases lost (must be 0);
2. 1,500 connections each send 1 MiB - 2 bytes without a newline, then close: the daemon's
   RSS idle, at its peak during the flood, and 0 s / 10 s / 30 s after it.

Usage: python -m bench.starvation [--flood 500] [--frames 1500] [--lanes 5]
"""

from __future__ import annotations

import argparse
import json
import select
import socket
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from bench.cli import rss_mb
from bench.heartbeats import TTL_S, Lane, call, hold_leases
from bench.scratch import daemon_home

FRAME = b"x" * ((1 << 20) - 2)


def percentiles(seconds: list[float]) -> dict[str, float] | None:
    if not seconds:
        return None
    ordered = sorted(seconds)
    return {
        "p50": round(statistics.median(ordered) * 1000, 2),
        "p99": round(ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000, 2),
        "max": round(ordered[-1] * 1000, 2),
        "n": len(ordered),
    }


def timed_status(run_id: str, calls: int, pause_s: float) -> list[float]:
    took = []
    for _ in range(calls):
        started = time.perf_counter()
        call("status", run_id=run_id)
        took.append(time.perf_counter() - started)
        time.sleep(pause_s)
    return took


def beating(leases: list[tuple[str, str]], seconds: float) -> list[Lane]:
    until = time.monotonic() + seconds
    lanes = [Lane(lease, until, 0.5) for lease in leases]
    for lane in lanes:
        lane.start()
    return lanes


def latencies(lanes: list[Lane]) -> tuple[list[float], int]:
    for lane in lanes:
        lane.join()
    return [x for lane in lanes for x in lane.latencies], sum(len(ln.failures) for ln in lanes)


def verify_flood(
    socket_path: Path, token: str, count: int, stop: threading.Event
) -> dict[str, Any]:
    """Keep `count` deep verifies outstanding (each answer is followed by a new request on a
    new connection) until `stop`; then wait for the last answers."""
    started, codes, waiting = time.perf_counter(), [], {}
    sent = 0

    def send() -> bool:
        nonlocal sent
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        frame = {"v": 1, "id": f"f{sent}", "method": "daemon.verify", "token": token}
        try:
            sock.connect(str(socket_path))
            sock.sendall(json.dumps({**frame, "params": {"deep": True}}).encode() + b"\n")
        except OSError:  # the kernel's backlog was full, or the daemon closed on us
            sock.close()
            codes.append("refused_at_connect")
            return False
        waiting[sock] = b""
        sent += 1
        return True

    def top_up() -> None:
        while len(waiting) < count and send():
            pass

    top_up()
    while waiting:
        readable, _, _ = select.select(list(waiting), [], [], 600)
        if not readable:
            break
        for sock in readable:
            try:
                chunk = sock.recv(65536)
            except OSError:
                chunk = b""
            waiting[sock] += chunk
            if not chunk or waiting[sock].endswith(b"\n"):
                raw = waiting.pop(sock)
                answer: dict[str, Any] = json.loads(raw) if raw else {}
                codes.append(
                    "ok" if answer.get("ok") else answer.get("error", {}).get("code", "closed")
                )
                sock.close()
        if not stop.is_set():
            top_up()
    return {
        "outstanding": count,
        "requests": sent,
        "served": codes.count("ok"),
        "busy": codes.count("busy"),
        "refused_at_connect": codes.count("refused_at_connect"),
        "other": len(codes) - sum(map(codes.count, ("ok", "busy", "refused_at_connect"))),
        "unanswered": len(waiting),
        "flood_s": round(time.perf_counter() - started, 1),
    }


def frame_flood(socket_path: Path, pid: int, count: int, batch: int = 100) -> dict[str, Any]:
    peak = [rss_mb(pid)]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak.append(rss_mb(pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    refused = 0
    for first in range(0, count, batch):
        socks = []
        for _ in range(min(batch, count - first)):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(10)
            try:
                sock.connect(str(socket_path))
                sock.sendall(FRAME)
            except OSError:
                refused += 1  # the daemon answered busy and closed while we were sending
            socks.append(sock)
        for sock in socks:
            sock.close()
    done.set()
    sampler.join()
    return {"connections": count, "refused_while_sending": refused, "peak_mb": max(peak)}


def measure(base: Path, flood: int = 500, frames: int = 1500, lanes: int = 5) -> dict[str, Any]:
    from striatum import paths
    from striatum.client import rpc

    run_id, leases = hold_leases(base, lanes)
    reader = rpc.call("token.create", {"role": "reader"}, as_role="principal")["secret"]
    pid = int(paths.pid_file().read_text())

    quiet = beating(leases, 10)
    status_quiet = timed_status(run_id, 20, 0.3)
    beats_quiet, failures_quiet = latencies(quiet)

    flooding: dict[str, Any] = {}
    stop = threading.Event()
    flooder = threading.Thread(
        target=lambda: flooding.update(verify_flood(paths.socket_path(), reader, flood, stop))
    )
    flooder.start()
    time.sleep(1)  # the flood is queued
    loud = beating(leases, 10)
    status_loud = timed_status(run_id, 20, 0.3)
    beats_loud, failures_loud = latencies(loud)
    stop.set()
    flooder.join()

    live = {lease["lease_id"] for lease in call("status", run_id=run_id)["leases"]}
    for lease, _ in leases:
        if lease in live:
            call("complete", lease=lease)
    idle_mb = rss_mb(pid)
    memory = frame_flood(paths.socket_path(), pid, frames)
    after = {}
    started = time.monotonic()
    for mark in (0, 10, 30):
        time.sleep(max(0.0, started + mark - time.monotonic()))
        after[f"{mark}s"] = round(rss_mb(pid), 1)
    return {
        "benchmark": "starvation",
        "reader_flood": {
            **flooding,
            "heartbeat_ms": {
                "quiet": percentiles(beats_quiet),
                "flooded": percentiles(beats_loud),
            },
            "heartbeat_failures": failures_quiet + failures_loud,
            "operator_status_ms": {
                "quiet": percentiles(status_quiet),
                "flooded": percentiles(status_loud),
            },
            "leases_lost": len([lease for lease, _ in leases if lease not in live]),
            "ttl_s": TTL_S,
        },
        "frame_flood": {
            **memory,
            "idle_mb": round(idle_mb, 1),
            "peak_mb": round(memory["peak_mb"], 1),
            "after_mb": after,
            "back_within_mb_of_idle_at_30s": round(after["30s"] - idle_mb, 1),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--flood", type=int, default=500)
    parser.add_argument("--frames", type=int, default=1500)
    parser.add_argument("--lanes", type=int, default=5)
    args = parser.parse_args()
    with daemon_home("starvation") as base:
        print(json.dumps(measure(base, args.flood, args.frames, args.lanes), indent=2))


if __name__ == "__main__":
    main()

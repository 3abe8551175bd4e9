"""What the lowest role or a stranger on the socket can take from the daemon is bounded:
long reads never delay liveness, a token's requests in flight are capped (`busy`, audited),
and frames, connections and buffered bytes have limits that a flood cannot pass."""

from __future__ import annotations

import contextlib
import json
import select
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.faults.test_lane_crashes import hanging_workflow
from tests.support import servers
from tests.support.daemons import DaemonUnderTest, discard, new_daemon
from tests.support.operator import Operator, new_repo
from tests.support.waiting import wait_until

BIN = Path(sys.executable).parent
PER_TOKEN = 4
CONNECTIONS = 40
DEADLINE_S = 2
BUFFER_MB = 4


@pytest.fixture
def bounded(embedded_server: servers.PgServer) -> Iterator[DaemonUnderTest]:
    """A daemon with small limits, so that a test reaches each of them quickly."""
    started = new_daemon(embedded_server.clone())
    started.env.update(
        STRIATUM_MAX_REQUESTS_PER_TOKEN=str(PER_TOKEN),
        STRIATUM_MAX_CONNECTIONS=str(CONNECTIONS),
        STRIATUM_FRAME_DEADLINE_S=str(DEADLINE_S),
        STRIATUM_BUFFER_MB=str(BUFFER_MB),
        STRIATUM_NOISE_AUDIT_S="0.5",
    )
    try:
        started.start()
        yield started
    finally:
        discard(started)


def admin(daemon: DaemonUnderTest) -> psycopg.Connection[tuple[Any, ...]]:
    assert daemon.database is not None
    return psycopg.connect(daemon.database.admin_conninfo, autocommit=True)


def request(method: str, token: str, params: dict[str, Any] | None = None, n: int = 0) -> bytes:
    frame = {"v": 1, "id": f"r{n}", "method": method, "params": params or {}, "token": token}
    return json.dumps(frame).encode() + b"\n"


def connect(daemon: DaemonUnderTest) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(30)
    sock.connect(str(daemon.socket))
    return sock


def answers(socks: list[socket.socket], wanted: int, timeout_s: float = 60) -> list[dict[str, Any]]:
    """Read one answer from each socket until `wanted` arrived; those sockets are closed."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout_s
    waiting = list(socks)
    while len(got) < wanted:
        assert time.monotonic() < deadline, f"only {len(got)} of {wanted} answers arrived"
        readable, _, _ = select.select(waiting, [], [], 0.5)
        for sock in readable:
            got.append(json.loads(read_line(sock)))
            waiting.remove(sock)
            sock.close()
    return got


def read_line(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def audited(daemon: DaemonUnderTest, method: str) -> Counter[str | None]:
    with admin(daemon) as conn:
        rows = conn.execute(
            "SELECT error_code FROM striatumd.audit_log WHERE method = %s", (method,)
        ).fetchall()
    return Counter(row[0] for row in rows)


def reader_token(daemon: DaemonUnderTest) -> str:
    created = daemon.json("--as", "principal", "token", "create", "--role", "reader")
    return str(created["secret"])


def test_a_reader_flooding_verify_never_delays_an_operator_and_is_capped(
    bounded: DaemonUnderTest,
) -> None:
    reader = reader_token(bounded)
    flood = 3 * PER_TOKEN
    with admin(bounded) as lock:
        # Every verify blocks on the events table until we let go; nothing else needs it.
        lock.execute("BEGIN")
        lock.execute("LOCK TABLE striatumd.events IN ACCESS EXCLUSIVE MODE")
        socks = [connect(bounded) for _ in range(flood)]
        for n, sock in enumerate(socks):
            sock.sendall(request("daemon.verify", reader, {"deep": True}, n))
        refused = answers(socks, flood - PER_TOKEN)  # beyond the cap: answered at once
        assert {a["error"]["code"] for a in refused} == {"busy"}
        assert "requests in flight" in refused[0]["error"]["message"]
        # The verifies in flight hold their threads; the operator is served all the same.
        started = time.monotonic()
        whoami = bounded.cli("whoami", "--json", timeout=30)
        assert whoami.returncode == 0, whoami.stderr
        assert json.loads(whoami.stdout)["role"] == "operator"
        took = time.monotonic() - started
        lock.execute("COMMIT")
    served = answers([s for s in socks if s.fileno() != -1], PER_TOKEN)
    assert all(a["ok"] and a["result"]["ok"] for a in served)
    assert took < 20, took  # generous: the point is that it answered while the lock held
    # Every request has its own audit row, the refused ones included.
    assert audited(bounded, "daemon.verify") == {None: PER_TOKEN, "busy": flood - PER_TOKEN}
    busy = bounded.cli("daemon", "verify", token=reader)  # the cap is free again
    assert busy.returncode == 0, busy.stderr


def test_a_frame_must_arrive_whole_within_the_deadline(bounded: DaemonUnderTest) -> None:
    with connect(bounded) as sock:
        sock.sendall(b'{"v": 1, "id": "slow", "meth')
        started = time.monotonic()
        answer = json.loads(read_line(sock))
        assert sock.recv(1) == b""  # then the connection is closed
    assert answer["error"]["code"] == "protocol"
    assert f"within {DEADLINE_S}s" in answer["error"]["message"]
    assert time.monotonic() - started < 30
    with connect(bounded) as idle:  # an idle connection is let go after the same time
        assert idle.recv(1) == b""


def test_one_token_filling_every_seat_cannot_lock_the_others_out(
    bounded: DaemonUnderTest,
) -> None:
    """A reader holds as many connections as the cap (long polls): past the cap an operator
    is still served, the reader's next connection is refused `busy` (audited), and past twice
    the cap every connection is refused at once."""
    reader = reader_token(bounded)
    held = [connect(bounded) for _ in range(CONNECTIONS)]
    try:
        for n, sock in enumerate(held):
            sock.sendall(request("events.wait", reader, {"timeout_s": 20}, n))
        wait_until(lambda: refused(bounded, reader), "the reader's seats to be counted")
        whoami = bounded.cli("whoami", "--json", timeout=30)
        assert whoami.returncode == 0, whoami.stderr
        assert audited(bounded, "whoami")[None] >= 1
        assert audited(bounded, "daemon.status")["busy"] >= 1  # refused, yet audited
        silent = [connect(bounded) for _ in range(CONNECTIONS)]  # fills the overflow
        try:
            with connect(bounded) as sock:
                answer = json.loads(read_line(sock))
            assert answer["error"]["code"] == "busy" and answer["id"] is None
        finally:
            for sock in silent:
                sock.close()
    finally:
        for sock in held:
            sock.close()
    wait_until(lambda: bounded.cli("whoami").returncode == 0, "a free seat again", timeout=10)


def refused(daemon: DaemonUnderTest, token: str) -> bool:
    with connect(daemon) as sock:
        sock.sendall(request("daemon.status", token))
        line = read_line(sock)
    return bool(line) and not json.loads(line)["ok"] and "holds" in line.decode()


def test_unfinished_frames_share_one_buffer_budget(bounded: DaemonUnderTest) -> None:
    """Unterminated megabyte frames: once the budget is held the next is refused `busy`;
    closing them gives it all back."""
    socks = [connect(bounded) for _ in range(2 * BUFFER_MB)]
    codes: list[str] = []
    try:
        for sock in socks:
            # Refused while we were still sending: the answer is read below.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(b"x" * ((1 << 20) - 2))
        for sock in socks:
            sock.settimeout(0.5)
            try:
                line = read_line(sock)
            except TimeoutError:
                continue  # still held by the daemon, under the budget
            if line:
                codes.append(json.loads(line)["error"]["code"])
    finally:
        for sock in socks:
            sock.close()
    assert "busy" in codes, codes
    assert len(codes) < len(socks)  # those within the budget were held, not refused
    whoami = bounded.cli("whoami", "--json")
    assert whoami.returncode == 0, whoami.stderr


def test_frames_that_are_not_requests_are_audited_as_one_periodic_row(
    bounded: DaemonUnderTest,
) -> None:
    for garbage in (b"nonsense\n", b"[]\n", b"\xff\xfe\n", b'{"v": 1}\n') * 10:
        answer = json.loads(bounded.rpc(garbage).splitlines()[0])
        assert answer["error"]["code"] == "protocol"

    def counted() -> int:
        with admin(bounded) as conn:
            rows = conn.execute(
                "SELECT params FROM striatumd.audit_log WHERE method = '(malformed)'"
            ).fetchall()
        return sum(row[0]["count"] for row in rows) if rows else 0

    wait_until(lambda: counted() == 40, "the periodic noise row", timeout=20)
    assert sum(audited(bounded, "(malformed)").values()) < 40  # not one row per frame


def test_the_supervisor_rides_out_busy_and_finishes_the_run(
    bounded: DaemonUnderTest, tmp_path: Path
) -> None:
    """The operator token's requests in flight at the cap (verifies held up): the supervisor,
    which acts with that token, is refused `busy`, waits and retries, and finishes the run
    once the cap frees."""
    gate = tmp_path / "wf" / "go"  # in the workflow's folder: a sandboxed agent sees it
    operator = Operator(daemon=bounded, repo=new_repo(tmp_path))
    operator.cli("adopt")
    workflow = hanging_workflow(tmp_path, gate)
    gate.touch()  # the jobs finish at once
    run_id = operator.cli("run", "prepare", "--workflow", str(workflow))["run_id"]
    operator.cli("run", "start", "--run-id", run_id, "--no-supervise")
    token = bounded.token("operator")
    with admin(bounded) as lock:
        lock.execute("BEGIN")
        lock.execute("LOCK TABLE striatumd.events IN ACCESS EXCLUSIVE MODE")
        held = [connect(bounded) for _ in range(PER_TOKEN)]
        for n, sock in enumerate(held):
            sock.sendall(request("daemon.verify", token, {}, n))
        wait_until(lambda: refused_busy(bounded, token), "the operator token to be at its cap")
        supervisor = subprocess.Popen(
            [str(BIN / "striatum"), "supervise", "--run-id", run_id],
            env=bounded.env,
            cwd=operator.repo,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        time.sleep(2)  # it meets `busy` meanwhile
        lock.execute("COMMIT")
    said, _ = supervisor.communicate(timeout=120)
    for sock in held:
        sock.close()
    assert supervisor.returncode == 0, said
    assert "requests in flight" in said and "retrying" in said, said
    assert operator.cli("status", "--run-id", run_id)["run"]["state"] == "succeeded"


def refused_busy(daemon: DaemonUnderTest, token: str) -> bool:
    with connect(daemon) as sock:
        sock.sendall(request("whoami", token))
        answer = json.loads(read_line(sock))
    return not answer["ok"] and answer["error"]["code"] == "busy"

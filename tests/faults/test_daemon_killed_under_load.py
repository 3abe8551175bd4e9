"""`kill -9` of the daemon while eight clients write: acknowledged work survives, nothing
unacknowledged is half-written, and both chains verify after the restart.

Each client owns a run and toggles it (pause, resume, ...) over one socket connection; every
toggle is a transaction holding a state change, an event and an audit row. The daemon is
killed once the clients have ~40% of 1,000 requests acknowledged.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest

from striatum.client import envelope
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import example, new_repo

CLIENTS, REQUESTS = 8, 1_000


class Toggler(threading.Thread):
    """One client: pause/resume its run until told to stop or the daemon goes away."""

    def __init__(self, daemon: DaemonUnderTest, run_id: str, index: int) -> None:
        super().__init__(daemon=True)
        self.socket_path, self.token = str(daemon.socket), daemon.token("operator")
        self.run_id, self.index = run_id, index
        self.acked: list[str] = []
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(30)
                sock.connect(self.socket_path)
                reader = sock.makefile("rb")
                for n in range(REQUESTS // CLIENTS):
                    request_id = f"{self.run_id}/{n}"
                    method = "run.pause" if n % 2 == 0 else "run.resume"
                    sock.sendall(
                        envelope.request_frame(
                            request_id, method, {"run_id": self.run_id}, self.token
                        )
                    )
                    line = reader.readline()
                    if not line:
                        return  # the daemon died: this request is unacknowledged
                    envelope.parse_response(line)  # raises on an error frame
                    self.acked.append(request_id)
        except (ConnectionError, OSError):
            return
        except BaseException as error:  # an error frame is a bug here: report it
            self.failure = error


def prepare_runs(daemon: DaemonUnderTest, repo: Path) -> list[str]:
    def cli(*args: str) -> Any:
        return daemon.json("--repo", str(repo), *args)

    cli("adopt")
    runs = []
    for _ in range(CLIENTS):
        run_id = cli("run", "prepare", "--workflow", str(example("minimal-flow")))["run_id"]
        cli("run", "start", "--run-id", run_id, "--no-supervise")
        runs.append(run_id)
    return runs


def kill_mid_load(daemon: DaemonUnderTest, runs: list[str]) -> list[Toggler]:
    clients = [Toggler(daemon, run_id, i) for i, run_id in enumerate(runs)]
    for client in clients:
        client.start()
    deadline = threading.Event()
    while sum(len(c.acked) for c in clients) < REQUESTS * 0.4 and not deadline.wait(0.005):
        if not any(c.is_alive() for c in clients):
            break
    daemon.kill()
    for client in clients:
        client.join(60)
        assert client.failure is None, client.failure
    return clients


def check_after_restart(daemon: DaemonUnderTest, clients: list[Toggler]) -> None:
    daemon.start()
    assert daemon.database is not None
    with psycopg.connect(daemon.database.admin_conninfo) as conn:
        audited: dict[str, bool] = dict(
            conn.execute(
                "SELECT request_id, ok FROM striatumd.audit_log WHERE method IN "
                "('run.pause', 'run.resume')"
            ).fetchall()
        )
        for client in clients:
            # Every acknowledged request committed (with its audit row).
            assert all(audited.get(r) is True for r in client.acked), client.run_id
            toggles = conn.execute(
                "SELECT type FROM striatumd.events WHERE run_id = %s AND type IN "
                "('run.paused', 'run.resumed') ORDER BY seq",
                (client.run_id,),
            ).fetchall()
            committed = [r for r in audited if r.startswith(f"{client.run_id}/")]
            # Nothing half-written: each committed request is one event, no event without one.
            assert len(toggles) == len(committed) >= len(client.acked)
            state = conn.execute(
                "SELECT state FROM striatumd.runs WHERE run_id = %s", (client.run_id,)
            ).fetchone()
            last = toggles[-1][0] if toggles else "run.resumed"
            assert state == ("paused" if last == "run.paused" else "running",)
    report = daemon.json("daemon", "doctor")
    assert report["ok"], report


def test_kill_9_under_eight_writers_keeps_every_acknowledged_write(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    runs = prepare_runs(daemon, new_repo(tmp_path))
    clients = kill_mid_load(daemon, runs)
    assert REQUESTS * 0.4 <= sum(len(c.acked) for c in clients) < REQUESTS  # killed mid-load
    check_after_restart(daemon, clients)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_ten_rounds_of_kill_9_under_load(daemon: DaemonUnderTest, tmp_path: Path) -> None:
    for round_ in range(10):
        base = tmp_path / f"round-{round_}"
        base.mkdir()
        runs = prepare_runs(daemon, new_repo(base))
        check_after_restart(daemon, kill_mid_load(daemon, runs))

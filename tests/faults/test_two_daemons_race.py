"""Two daemons on one database, two workers racing for 500 jobs of one run: the supervisor
(through the first daemon) and a claim-next worker (through the second). No job is ever held
twice at once, every job ends exactly once, and the chains verify.

(A second `striatum supervise` of the same run on the same checkout is refused by design -
one supervisor per run, tests/e2e/test_supervisor.py - so the second racer claims directly.)
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from striatum.client import envelope
from tests.support.daemons import DaemonUnderTest, daemon_pair
from tests.support.operator import Operator, new_repo
from tests.support.servers import PgServer

JOBS = 500


@pytest.fixture
def pair(embedded_server: PgServer) -> Iterator[tuple[DaemonUnderTest, DaemonUnderTest]]:
    with daemon_pair(embedded_server) as both:
        yield both


def wide_workflow(tmp_path: Path) -> Path:
    folder = tmp_path / "wf"
    folder.mkdir()
    (folder / "workflow.json").write_text(
        json.dumps(
            {
                "schema_version": "striatum.workflow.v1",
                "id": "wide",
                "name": "Wide",
                "lanes": {
                    "agent": {
                        "provider": "command",
                        "max_concurrency": 8,
                        "timeout_s": 60,
                        "command": ["sh", "-c", 'echo supervised > "$STRIATUM_OUTPUT"'],
                    }
                },
                "jobs": [
                    {
                        "id": f"j{n:03d}",
                        "kind": "task",
                        "lane": "agent",
                        "artifacts": [{"path": f"docs/striatum/j{n:03d}.md"}],
                    }
                    for n in range(JOBS)
                ],
            }
        )
    )
    return folder / "workflow.json"


class Claimer(threading.Thread):
    """The second racer: claim-next through the second daemon, write, complete."""

    def __init__(self, daemon: DaemonUnderTest, repo: Path, run_id: str) -> None:
        super().__init__(daemon=True)
        self.daemon_, self.repo, self.run_id = daemon, repo, run_id
        self.done: list[str] = []
        self.failure: BaseException | None = None

    def call(self, sock: Any, reader: Any, method: str, **params: Any) -> Any:
        sock.sendall(envelope.request_frame(method, method, params, self.daemon_.token("operator")))
        return envelope.parse_response(reader.readline())

    def run(self) -> None:
        try:
            with socket.socket(socket.AF_UNIX) as sock:
                sock.connect(str(self.daemon_.socket))
                reader = sock.makefile("rb")
                session = self.call(sock, reader, "register-session", role="operator")["session_id"]
                while True:
                    packet = self.call(
                        sock, reader, "claim-next", session=session, run_id=self.run_id
                    )
                    if not packet["claimed"]:
                        state = self.call(sock, reader, "status", run_id=self.run_id)
                        if state["run"]["state"] != "running":
                            return
                        continue
                    for expected in packet["expected_artifacts"]:
                        target = self.repo / expected["path"]
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_text("claimed\n")
                    self.call(sock, reader, "complete", lease=packet["lease"]["lease_id"])
                    self.done.append(packet["job"]["job_id"])
        except BaseException as error:
            self.failure = error


def test_two_daemons_and_two_workers_race_for_500_jobs(
    pair: tuple[DaemonUnderTest, DaemonUnderTest], tmp_path: Path
) -> None:
    first, second = pair
    operator = Operator(daemon=first, repo=new_repo(tmp_path))
    operator.cli("adopt")
    run_id = operator.cli("run", "prepare", "--workflow", str(wide_workflow(tmp_path)))["run_id"]
    operator.cli("run", "start", "--run-id", run_id, "--no-supervise")
    claimer = Claimer(second, operator.repo, run_id)
    claimer.start()
    supervised = first.cli("supervise", "--run-id", run_id, timeout=600)
    claimer.join(120)
    assert claimer.failure is None, claimer.failure
    assert supervised.returncode == 0, supervised.stderr
    assert 0 < len(claimer.done) < JOBS  # both racers really took work
    assert first.database is not None
    with psycopg.connect(first.database.admin_conninfo) as conn:
        ended: dict[str, int] = dict(
            conn.execute(
                "SELECT job_id, count(*) FROM striatumd.events WHERE run_id = %s "
                "AND type = 'job.succeeded' GROUP BY job_id",
                (run_id,),
            ).fetchall()
        )
        overlaps = conn.execute(
            "SELECT a.job_id FROM striatumd.leases a JOIN striatumd.leases b "
            "ON a.run_id = b.run_id AND a.job_id = b.job_id AND a.lease_id < b.lease_id "
            "AND tstzrange(a.acquired_at, a.ended_at) && tstzrange(b.acquired_at, b.ended_at) "
            "WHERE a.run_id = %s",
            (run_id,),
        ).fetchall()
        leases = conn.execute(
            "SELECT count(*) FROM striatumd.leases WHERE run_id = %s", (run_id,)
        ).fetchone()
    assert len(ended) == JOBS and set(ended.values()) == {1}  # every job ended once
    assert overlaps == []  # never two live leases on one job
    assert leases == (JOBS,)  # nothing was claimed twice, not even one after another
    for daemon in pair:
        report = daemon.json("daemon", "doctor", "--fast")
        assert report["ok"], report

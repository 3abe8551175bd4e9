"""PostgreSQL restarted under a running run: clients get a retryable error (exit 9) instead
of hanging, the daemon reconnects by itself, and the run completes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import servers
from tests.support.daemons import DaemonUnderTest, discard, new_daemon
from tests.support.operator import Operator, new_repo
from tests.support.waiting import wait_until

BIN = Path(sys.executable).parent


@pytest.fixture
def own_server() -> Iterator[servers.PgServer]:
    """A server of this test's own: stopping it must not disturb other tests."""
    with servers.running("embedded") as server:
        yield server


@pytest.fixture
def lone_daemon(own_server: servers.PgServer) -> Iterator[DaemonUnderTest]:
    daemon = new_daemon(own_server.clone())
    daemon.start()
    try:
        yield daemon
    finally:
        discard(daemon)


def gated_workflow(tmp_path: Path, gate: Path) -> Path:
    """Three chained jobs whose agents wait for `gate` to exist (in the workflow's folder,
    `wf/`, which a sandboxed agent sees read-only)."""
    script = f'while [ ! -e {gate} ]; do sleep 0.1; done; echo done > "$STRIATUM_OUTPUT"'
    folder = tmp_path / "wf"
    folder.mkdir()
    jobs = [
        {
            "id": name,
            "kind": "task",
            "lane": "agent",
            "depends_on": after,
            "artifacts": [{"path": f"docs/striatum/{name}.md"}],
        }
        for name, after in (("one", []), ("two", ["one"]), ("three", ["two"]))
    ]
    (folder / "workflow.json").write_text(
        json.dumps(
            {
                "schema_version": "striatum.workflow.v1",
                "id": "gated",
                "name": "Gated",
                "lanes": {
                    "agent": {
                        "provider": "command",
                        "command": ["sh", "-c", script],
                        "timeout_s": 300,
                        "max_attempts": 3,
                    }
                },
                "jobs": jobs,
            }
        )
    )
    return folder / "workflow.json"


def run_state(daemon: DaemonUnderTest, run_id: str) -> dict[str, Any] | None:
    result = daemon.cli("status", "--run-id", run_id, "--json", timeout=60)
    return json.loads(result.stdout) if result.returncode == 0 else None


def test_a_database_restart_mid_run(
    own_server: servers.PgServer, lone_daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    gate = tmp_path / "wf" / "go"  # in the workflow's folder: a sandboxed agent sees it
    operator = Operator(daemon=lone_daemon, repo=new_repo(tmp_path))
    operator.cli("adopt")
    run_id = operator.cli("run", "prepare", "--workflow", str(gated_workflow(tmp_path, gate)))[
        "run_id"
    ]
    operator.cli("run", "start", "--run-id", run_id, "--no-supervise")
    supervisor = subprocess.Popen(
        [str(BIN / "striatum"), "supervise", "--run-id", run_id],
        env=lone_daemon.env,
        cwd=operator.repo,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: (run_state(lone_daemon, run_id) or {}).get("leases"), "no lease")
        own_server.cluster.stop()
        started = time.monotonic()
        down = lone_daemon.cli("status", "--run-id", run_id, timeout=60)
        assert down.returncode == 9, down.stderr  # retryable: database_unavailable
        assert "database" in down.stderr and "Traceback" not in down.stderr
        assert time.monotonic() - started < 45  # an answer, not a hang
        own_server.cluster.start()
        wait_until(lambda: run_state(lone_daemon, run_id) is not None, "no answer after restart")
        cursor = lone_daemon.json("events", "wait", "--run-id", run_id, "--timeout-s", "1")
        waiter = subprocess.Popen(  # a live view waiting when the next event commits
            [
                str(BIN / "striatum"),
                "events",
                "wait",
                "--run-id",
                run_id,
                "--after-seq",
                str(cursor["last_seq"]),
                "--timeout-s",
                "30",
                "--json",
            ],
            env=lone_daemon.env,
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(1)
        woken = time.monotonic()
        gate.touch()
        out, _ = waiter.communicate(timeout=60)
        assert json.loads(out)["events"], "the live feed did not come back after the restart"
        assert time.monotonic() - woken < 25  # woken by NOTIFY, not by its own timeout
        wait_until(
            lambda: (
                (run_state(lone_daemon, run_id) or {"run": {}})["run"].get("state") == "succeeded"
            ),
            "the run did not complete after the restart",
        )
        assert supervisor.wait(60) == 0
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()
    doctor = lone_daemon.json("daemon", "doctor")
    assert doctor["ok"], doctor
    assert lone_daemon.cli("daemon", "status").returncode == 0

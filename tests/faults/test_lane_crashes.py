"""`kill -9` of an agent and of its supervisor mid-job: the leases expire, the jobs are retried
as new attempts, the run completes, and no agent or supervisor process is left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.daemons import DaemonUnderTest, alive
from tests.support.operator import Operator, new_repo
from tests.support.waiting import wait_until

BIN = Path(sys.executable).parent


def hanging_workflow(tmp_path: Path, gate: Path, **lane_extra: Any) -> Path:
    """Two parallel jobs whose first attempts hang until killed; attempts once `gate` (in the
    workflow's folder, `wf/`, which a sandboxed agent sees read-only) exists finish."""
    script = f'if [ -e {gate} ]; then echo done > "$STRIATUM_OUTPUT"; else sleep 300; fi'
    folder = tmp_path / "wf"
    folder.mkdir()
    (folder / "workflow.json").write_text(
        json.dumps(
            {
                "schema_version": "striatum.workflow.v1",
                "id": "crash",
                "name": "Crash",
                "lanes": {
                    "agent": {
                        "provider": "command",
                        "command": ["sh", "-c", script],
                        "timeout_s": 600,
                        "max_attempts": 3,
                        "max_concurrency": 2,
                        **lane_extra,
                    }
                },
                "jobs": [
                    {
                        "id": name,
                        "kind": "task",
                        "lane": "agent",
                        "artifacts": [{"path": f"docs/striatum/{name}.md"}],
                    }
                    for name in ("left", "right")
                ],
            }
        )
    )
    return folder / "workflow.json"


def status(operator: Operator, run_id: str) -> dict[str, Any]:
    found: dict[str, Any] = operator.cli("status", "--run-id", run_id)
    return found


def marked(run_id: str) -> list[tuple[int, str, bytes]]:
    """(pid, state, command line) of every process whose environment or command line names
    the run, each read in one go (a process may be gone a moment later)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().split(") ")[1][0]
        except OSError:
            continue
        if run_id.encode() in environ + cmdline:
            found.append((int(entry.name), state, cmdline))
    return found


def processes_of(run_id: str) -> list[tuple[int, str]]:
    """(pid, state) of every process whose environment or command line names the run."""
    return [(pid, state) for pid, state, _ in marked(run_id)]


def sleeps_of(run_id: str) -> list[int]:
    return [pid for pid, _, cmdline in marked(run_id) if cmdline.startswith(b"sleep\0")]


def state_of(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0]


def agent_pids(repo: Path) -> list[int]:
    return [
        int(p.read_text())
        for p in sorted((repo / ".striatum").glob("runs/*/*/attempt-*/agent.pid"))
    ]


def watchdog_of(run_id: str) -> int:
    [pid] = [pid for pid, _, cmdline in marked(run_id) if b"striatum.lanes.watchdog" in cmdline]
    return pid


@pytest.mark.parametrize(
    "watchdog_killed", [False, True], ids=["watchdog-kills-orphans", "restart-kills-orphans"]
)
def test_kill_9_of_an_agent_and_its_supervisor(
    daemon: DaemonUnderTest, tmp_path: Path, watchdog_killed: bool
) -> None:
    gate = tmp_path / "wf" / "go"  # in the workflow's folder: a sandboxed agent sees it
    operator = Operator(daemon=daemon, repo=new_repo(tmp_path))
    operator.cli("adopt")
    # With the watchdog gone, only the next supervisor can clean up what an unsandboxed agent
    # left; a sandboxed agent's children die with its sandbox (the other case).
    lane_extra = {"sandbox": "none"} if watchdog_killed else {}
    workflow = hanging_workflow(tmp_path, gate, **lane_extra)
    run_id = operator.cli("run", "prepare", "--workflow", str(workflow))["run_id"]
    operator.cli("run", "start", "--run-id", run_id, "--no-supervise")
    log = tmp_path / "supervise.log"
    with log.open("w") as stderr:
        supervisor = subprocess.Popen(
            [str(BIN / "striatum"), "supervise", "--run-id", run_id],
            env=daemon.env,
            cwd=operator.repo,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    # Both agents started and told to the watchdog (the supervisor says so after), and both
    # have started the child that is to be orphaned.
    wait_until(lambda: log.read_text().count(" started (pid ") == 2, "both agents started")
    wait_until(lambda: len(sleeps_of(run_id)) == 2, "both agents started their `sleep`")
    agents, orphans = agent_pids(operator.repo), sleeps_of(run_id)
    assert len(agents) == 2 and len(status(operator, run_id)["leases"]) == 2
    # The agent and its supervisor die together: frozen first, the supervisor cannot see its
    # agent die and fail the attempt (a 50 ms tick) while the test is still killing; both
    # leases must be left to expire.
    supervisor.send_signal(signal.SIGSTOP)
    wait_until(lambda: state_of(supervisor.pid) == "T", "the supervisor never stopped")
    os.kill(agents[0], signal.SIGKILL)
    if watchdog_killed:  # the worst case: nothing is left to clean up but the next supervisor
        os.kill(watchdog_of(run_id), signal.SIGKILL)
    supervisor.send_signal(signal.SIGKILL)
    supervisor.wait()
    wait_until(lambda: not any(alive(pid) for pid in agents), "an agent outlived its supervisor")
    if not watchdog_killed:  # the agents' children (`sleep`) die at once, not at a restart
        wait_until(lambda: processes_of(run_id) == [], "orphans outlived the supervisor", 10)
    else:
        assert all(alive(pid) for pid in orphans), "expected orphaned agent children to clean up"
    leases = status(operator, run_id)["leases"]
    assert len(leases) == 2, "a lease ended before its holder died"
    for lease in leases:  # shorten the wait for the expiry
        operator.cli("heartbeat", "--lease", lease["lease_id"], "--ttl-s", "1")
    # The daemon's own sweep (every few seconds) expires them: nobody calls recovery here.
    wait_until(lambda: not status(operator, run_id)["leases"], "the leases never expired")
    gate.touch()
    rerun = subprocess.run(
        [str(BIN / "striatum"), "supervise", "--run-id", run_id],
        env=daemon.env,
        cwd=operator.repo,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    final = status(operator, run_id)
    assert final["run"]["state"] == "succeeded"
    assert sorted((j["job_id"], j["attempt"]) for j in final["jobs"]) == [("left", 2), ("right", 2)]
    expired = [
        e
        for e in operator.cli("why", run_id)["events"]
        if e["type"] == "lease.ended" and '"expired"' in json.dumps(e)
    ]
    assert len(expired) == 2
    assert not any(alive(pid) for pid in orphans)
    assert processes_of(run_id) == []  # no agent, supervisor or zombie left

"""Runs that come back: `kill -9` of a supervised run's supervisor (and its agents, and even
the daemon) and the daemon's sweep relaunches a supervisor that finishes the run, with the
event naming who resumed it; a `--no-supervise` run is never resumed; `run start` on a
running run launches a supervisor only when its own is gone; the kept environment is 0600,
holds no token, and goes when the run ends."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from striatum.store import connection as db
from tests.faults.test_lane_crashes import agent_pids, hanging_workflow, processes_of
from tests.support.daemons import DaemonUnderTest, alive, discard, new_daemon
from tests.support.operator import Operator, new_repo
from tests.support.servers import PgServer
from tests.support.waiting import wait_until


@contextlib.contextmanager
def daemon_sweeping_every(server: PgServer, seconds: str) -> Iterator[DaemonUnderTest]:
    cloned = server.clone()
    started = new_daemon(cloned)
    started.env["STRIATUM_SWEEP_INTERVAL_S"] = seconds
    started.env["ANTHROPIC_API_KEY"] = "sk-test-kept"  # a provider key the lane passes on
    started.env["UNRELATED_SECRET"] = "not-for-lanes"
    try:
        started.start()
        yield started
        report = started.cli("daemon", "doctor", "--json", "--fast")
        assert report.returncode == 0, report.stdout + report.stderr
    finally:
        discard(started)
        server.drop(cloned)


@pytest.fixture
def quick_daemon(embedded_server: PgServer) -> Iterator[DaemonUnderTest]:
    """A daemon whose sweep runs twice a second."""
    with daemon_sweeping_every(embedded_server, "0.5") as started:
        yield started


@pytest.fixture
def sleepy_daemon(embedded_server: PgServer) -> Iterator[DaemonUnderTest]:
    """A daemon whose sweep never comes in a test's time: only `run start` resumes."""
    with daemon_sweeping_every(embedded_server, "3600") as started:
        yield started


def status(operator: Operator, run_id: str) -> dict[str, Any]:
    found: dict[str, Any] = operator.cli("status", "--run-id", run_id)
    return found


def supervisor_pid(operator: Operator, run_id: str) -> int | None:
    found = status(operator, run_id)["supervisor"]
    return None if found is None or found["state"] != "supervising" else int(found["pid"])


def started_run(operator: Operator, tmp_path: Path, gate: Path, *flags: str) -> str:
    """A run of two hanging jobs whose lane passes a provider key on, started with a token
    in the caller's environment (as an AI operator's shell would have)."""
    operator.cli("adopt")
    workflow = hanging_workflow(tmp_path, gate)
    document = json.loads(workflow.read_text())
    document["lanes"]["agent"]["env"] = {"PROVIDER_KEY": "${ANTHROPIC_API_KEY}"}
    workflow.write_text(json.dumps(document))
    run_id: str = operator.cli("run", "prepare", "--workflow", str(workflow))["run_id"]
    daemon = operator.daemon
    args = ("--repo", str(operator.repo), "run", "start", "--run-id", run_id, *flags)
    started = daemon.cli(*args, token=daemon.token("operator"))
    assert started.returncode == 0, started.stderr
    return run_id


def supervisors_of(run_id: str) -> list[int]:
    return [
        pid
        for pid, state in processes_of(run_id)
        if state != "Z" and b"supervise" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


def kill_supervisor(operator: Operator, run_id: str) -> int:
    """SIGKILL the registered supervisor's process group and its agents' groups."""
    wait_until(lambda: len(status(operator, run_id)["leases"]) == 2, "both jobs leased")
    wait_until(lambda: len(agent_pids(operator.repo)) == 2, "both agents started")
    pid = supervisor_pid(operator, run_id)
    assert pid is not None
    agents = agent_pids(operator.repo)
    os.killpg(pid, signal.SIGKILL)  # it leads its own session: `run start` made it so
    for agent in agents:
        os.killpg(agent, signal.SIGKILL)
    wait_until(lambda: not alive(pid), "the supervisor outlived SIGKILL")
    shorten_leases(operator, run_id)
    return pid


def shorten_leases(operator: Operator, run_id: str) -> None:
    """The dead supervisor's leases run out their TTL before the jobs run again (a writer
    beyond every marker gets that long to finish, SPEC §10): make it a second here."""
    for lease in status(operator, run_id)["leases"]:
        operator.cli("heartbeat", "--lease", lease["lease_id"], "--ttl-s", "1")


def swept(operator: Operator, run_id: str) -> bool:
    operator.cli("recovery", "sweep")
    return not status(operator, run_id)["leases"] or finished(operator, run_id)


def resumed_events(operator: Operator, run_id: str) -> list[dict[str, Any]]:
    events = operator.cli("why", run_id)["events"]
    return [e for e in events if e["type"] == "run.supervisor_resumed"]


def finished(operator: Operator, run_id: str) -> bool:
    return bool(status(operator, run_id)["run"]["state"] == "succeeded")


def wait_for_the_end(operator: Operator, run_id: str) -> None:
    """Until the run succeeded; else fail showing the daemon's and the supervisor's logs."""
    try:
        wait_until(lambda: finished(operator, run_id), "the run never finished", timeout=120)
    except AssertionError:
        supervisor = operator.repo / ".striatum" / f"supervisor-{run_id}.log"
        logs = [operator.daemon.log.read_text()[-3000:]]
        logs += [supervisor.read_text()[-3000:]] if supervisor.exists() else []
        raise AssertionError("the run never finished:\n" + "\n---\n".join(logs)) from None


def test_a_killed_supervisor_is_relaunched_by_the_daemon_and_the_run_finishes(
    quick_daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    gate = tmp_path / "wf" / "go"  # in the workflow's folder: a sandboxed agent sees it
    operator = Operator(daemon=quick_daemon, repo=new_repo(tmp_path))
    run_id = started_run(operator, tmp_path, gate)
    kept = quick_daemon.base / "home" / "supervisors" / f"{run_id}.env.json"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    saved = json.loads(kept.read_text())
    assert saved["ANTHROPIC_API_KEY"] == "sk-test-kept" and saved["PATH"]
    assert saved["STRIATUM_HOME"] == quick_daemon.env["STRIATUM_HOME"]
    assert "STRIATUM_TOKEN" not in saved and "UNRELATED_SECRET" not in saved
    assert "STRIATUM_DATABASE_URL" not in saved
    gone = kill_supervisor(operator, run_id)
    gate.touch()  # the next attempts finish
    wait_for_the_end(operator, run_id)
    [event] = resumed_events(operator, run_id)
    payload = event["payload"]
    assert payload["gone_pid"] == gone and payload["how"] == "daemon sweep"
    assert payload["daemon_pid"] == quick_daemon.pid()
    assert payload["environment"] == "kept by run start"
    # The supervisor leaves once the run has ended: its clean-up (the worktree put back, its
    # session closed, its watchdog gone) may outlast the reads above on a busy machine.
    wait_until(
        lambda: status(operator, run_id)["supervisor"]["state"] == "left",
        "the relaunched supervisor never left the ended run",
    )
    watch = status(operator, run_id)["supervisor"]
    assert watch["resumes"] == 1 and watch["streak"] == 1
    ended = [e for e in operator.cli("why", run_id)["events"] if e["type"] == "lease.ended"]
    # The same boot: the old leases ran out their TTL (the sweep), not ended at takeover.
    assert sum('"expired"' in json.dumps(e) for e in ended) == 2
    assert "took the run over" not in json.dumps(ended)
    wait_until(lambda: not kept.exists(), "the kept environment outlived the run")
    assert "resumed run" in quick_daemon.log.read_text()


def test_the_run_finishes_after_kill_9_of_supervisor_and_daemon_and_a_daemon_start(
    quick_daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    gate = tmp_path / "wf" / "go"  # in the workflow's folder: a sandboxed agent sees it
    operator = Operator(daemon=quick_daemon, repo=new_repo(tmp_path))
    run_id = started_run(operator, tmp_path, gate)
    wait_until(lambda: len(agent_pids(operator.repo)) == 2, "both agents started")
    gone = supervisor_pid(operator, run_id)
    assert gone is not None
    quick_daemon.kill()
    agents = agent_pids(operator.repo)
    os.killpg(gone, signal.SIGKILL)
    for agent in agents:
        os.killpg(agent, signal.SIGKILL)
    wait_until(lambda: not alive(gone), "the supervisor outlived SIGKILL")
    gate.touch()
    quick_daemon.start()  # the only step: as a login service would
    shorten_leases(operator, run_id)
    wait_for_the_end(operator, run_id)
    [event] = resumed_events(operator, run_id)
    assert event["payload"]["gone_pid"] == gone


def test_a_no_supervise_run_is_never_resumed(quick_daemon: DaemonUnderTest, tmp_path: Path) -> None:
    gate = tmp_path / "wf" / "go"  # in the workflow's folder: a sandboxed agent sees it
    operator = Operator(daemon=quick_daemon, repo=new_repo(tmp_path))
    run_id = started_run(operator, tmp_path, gate, "--no-supervise")
    supervisor = subprocess.Popen(  # driven by hand, by a supervisor the user started
        [str(Path(sys.executable).parent / "striatum"), "supervise", "--run-id", run_id],
        env=quick_daemon.env,
        cwd=operator.repo,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_until(lambda: supervisor_pid(operator, run_id) == supervisor.pid, "never registered")
    kill_supervisor(operator, run_id)
    supervisor.wait()
    time.sleep(5)  # ten sweeps
    assert resumed_events(operator, run_id) == []
    assert supervisors_of(run_id) == [], "a supervisor was relaunched"
    assert not (quick_daemon.base / "home" / "supervisors" / f"{run_id}.env.json").exists()
    actions = status(operator, run_id)["next_actions"]
    assert any("claim-next" in a or "run start" in a for a in actions), actions


def test_run_start_relaunches_a_gone_supervisor_and_refuses_while_it_lives(
    sleepy_daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    daemon = sleepy_daemon
    gate = tmp_path / "wf" / "go"  # in the workflow's folder: a sandboxed agent sees it
    operator = Operator(daemon=daemon, repo=new_repo(tmp_path))
    run_id = started_run(operator, tmp_path, gate)
    wait_until(lambda: supervisor_pid(operator, run_id) is not None, "never registered")
    pid = supervisor_pid(operator, run_id)
    forged = ("supervisor", "register", "--run-id", run_id, "--host", "h", "--session", "s")
    assert daemon.cli(*forged, "--pid", "0").returncode == 3  # validation: no such process
    refused = daemon.cli("--repo", str(operator.repo), "run", "start", "--run-id", run_id)
    assert refused.returncode == 5  # conflict
    assert f"pid {pid}" in refused.stderr and "already has a supervisor" in refused.stderr
    actions = status(operator, run_id)["next_actions"]
    assert not any("claim-next" in a for a in actions) and "wait" in actions[0], actions
    kill_supervisor(operator, run_id)
    gate.touch()
    actions = status(operator, run_id)["next_actions"]
    assert any("run start" in a for a in actions), actions
    [orphan] = operator.cli("recovery", "list", "--run-id", run_id)["orphaned_runs"]
    assert orphan["gone_pid"] == pid
    again = daemon.cli("--repo", str(operator.repo), "run", "start", "--run-id", run_id)
    assert again.returncode == 0, again.stderr
    # This daemon's own sweep never comes: expire the old leases (TTL 1 s) by hand.
    wait_until(lambda: swept(operator, run_id), "the old leases never expired")
    wait_for_the_end(operator, run_id)
    [event] = resumed_events(operator, run_id)
    assert event["payload"]["how"] == "run start" and event["payload"]["gone_pid"] == pid


def test_a_daemon_never_resumes_a_run_supervised_from_another_host(
    quick_daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    """Daemons of several hosts share one database: only the supervising host's daemon can
    tell whether its supervisor lives, so no other touches the run."""
    gate = tmp_path / "wf" / "go"  # in the workflow's folder: a sandboxed agent sees it
    operator = Operator(daemon=quick_daemon, repo=new_repo(tmp_path))
    run_id = started_run(operator, tmp_path, gate)
    wait_until(lambda: supervisor_pid(operator, run_id) is not None, "never registered")
    assert quick_daemon.database is not None
    with db.connect_admin(quick_daemon.database, autocommit=True) as conn:  # as if from there
        conn.execute(
            "UPDATE striatumd.run_supervisors SET host = 'elsewhere.example' WHERE run_id = %s",
            (run_id,),
        )
    pid = kill_supervisor(operator, run_id)
    time.sleep(5)  # ten sweeps
    assert resumed_events(operator, run_id) == []
    assert supervisors_of(run_id) == []
    actions = status(operator, run_id)["next_actions"]
    assert f"pid {pid} on elsewhere.example" in actions[0], actions
    refused = quick_daemon.cli("--repo", str(operator.repo), "run", "start", "--run-id", run_id)
    assert refused.returncode != 0 and "only that host can tell" in refused.stderr
    operator.cli("run", "cancel", "--run-id", run_id)
    kept = quick_daemon.base / "home" / "supervisors" / f"{run_id}.env.json"
    wait_until(lambda: not kept.exists(), "the daemon kept the ended run's environment")

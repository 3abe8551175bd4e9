"""The supervisor: claims a run's ready jobs and runs their agents until the run ends.

It is a client of the daemon like any other (operator token, RPC). For each claim it renders
the prompt into `.striatum/`, launches the lane's agent in its own process group with the
lease's lane token in its environment, heartbeats the lease while the process lives, kills
the group on timeout or lease loss, and then completes the job (which publishes the declared
outputs) or fails it. Crash safety comes from leases: if the supervisor dies, its leases
expire and the daemon's sweep gives the jobs to the next one.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

from striatum import errors
from striatum.cli import client
from striatum.lanes import agent_process, profiles, worktrees
from striatum.lanes.agent_process import AgentProcess

TICK_S = 0.05
IDLE_TICK_S = 0.5
TERMINAL = ("succeeded", "failed", "cancelled")


class Supervisor:
    def __init__(self, run_id: str, *, until_blocked: bool = False, log: Any = None) -> None:
        self.run_id = run_id
        self.until_blocked = until_blocked
        self.running: dict[str, AgentProcess] = {}
        self.stopping = False
        self.log = log or (lambda text: print(f"supervise: {text}", file=sys.stderr,
                                              flush=True))

    def call(self, method: str, **params: Any) -> Any:
        """One verb; while the daemon is away (restarting, say) wait and try again: leases
        outlive short outages, and agents keep running meanwhile."""
        delay = 0.2
        while True:
            try:
                return client.call(method, params)
            except (errors.DaemonUnreachable, errors.DatabaseUnavailable) as error:
                if self.stopping:
                    raise
                self.log(f"{method}: {error.message}; retrying in {delay:.1f}s")
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    def run(self) -> str:
        """Work until the run ends (or a signal); return the run's final state."""
        self.session = self.call("register-session", role="operator")["session_id"]
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        try:
            return self._loop()
        finally:
            for agent in list(self.running.values()):
                agent.kill_group("supervisor stopping")
                self._quietly("release", lease=agent.lease_id)
            self._quietly("session.close", session=self.session)

    def _loop(self) -> str:
        while not self.stopping:
            status = self.call("status", run_id=self.run_id)
            state = status["run"]["state"]
            if state in TERMINAL:  # ended (cancelled, say): stop whatever still runs
                for agent in list(self.running.values()):
                    agent.kill_group(f"the run {state}")
                    self.log(f"{agent.packet['job']['job_id']}: killed, the run {state}")
                self.running.clear()
                return str(state)
            claimed = self._claim_all(status) if state == "running" else 0
            self._watch()
            if self.until_blocked and self._only_waiting(status) and not self.running:
                return "waiting for the human"
            if not claimed and not self.running:
                time.sleep(IDLE_TICK_S)  # waiting for a human, a paused run, or a sweep
            else:
                time.sleep(TICK_S)
        return "stopped"

    @staticmethod
    def _only_waiting(status: dict[str, Any]) -> bool:
        """Nothing ready or leased, and something waits for a human decision."""
        moving = {"ready", "leased"}
        return bool(status["open_blockers"]) and not any(
            job["state"] in moving for job in status["jobs"])

    def _claim_all(self, status: dict[str, Any]) -> int:
        limits = self._lane_limits(status)
        claimed = 0
        for lane, limit in limits.items():
            busy = sum(1 for a in self.running.values() if a.packet["job"]["lane"] == lane)
            while busy < limit:
                packet = self.call("claim-next", session=self.session, run_id=self.run_id,
                                   lane=lane)
                if not packet["claimed"]:
                    break
                if self._conflicts(packet):
                    self._quietly("release", lease=packet["lease"]["lease_id"])
                    break
                self._start(packet)
                busy, claimed = busy + 1, claimed + 1
        return claimed

    def _lane_limits(self, status: dict[str, Any]) -> dict[str, int]:
        """Each lane with ready work, and how many of its jobs may run at once."""
        ready = {job["lane"] for job in status["jobs"] if job["state"] == "ready" and job["lane"]}
        return {lane: int(status["lanes"].get(lane, {}).get("max_concurrency", 1))
                for lane in ready}

    def _workdir(self, repo: Path) -> Path:
        """Where agents work: the run's git worktree, or the repository itself if it is not
        a git repository."""
        if not hasattr(self, "_workdir_path"):
            self._workdir_path = (worktrees.ensure(repo, self.run_id)
                                  if worktrees.is_git_repo(repo) else repo)
        return self._workdir_path

    def _conflicts(self, packet: dict[str, Any]) -> bool:
        """Write jobs of one run run one at a time unless their write scopes are disjoint
        (scopes inside the artifact root never collide: each attempt has its own paths)."""
        root = (packet.get("artifact_root") or "").rstrip("/")
        mine = _code_scopes(packet["write_scope"], root)
        return any(_overlap(mine, _code_scopes(a.packet["write_scope"], root))
                   for a in self.running.values())

    def _start(self, packet: dict[str, Any]) -> None:
        job = packet["job"]
        repo = Path(packet["repo"])
        workdir = self._workdir(repo)
        scratch = repo / ".striatum" / "runs" / self.run_id / job["job_id"] / \
            f"attempt-{job['attempt']}"
        scratch.mkdir(parents=True, exist_ok=True)
        prompt = scratch / "prompt.md"
        prompt.write_text(packet["prompt"], encoding="utf-8")
        fifo = scratch / "input.fifo"
        if not fifo.exists():
            os.mkfifo(fifo, 0o600)  # `striatum send` writes here; the agent may read it
        for expected in packet["expected_artifacts"]:
            (workdir / expected["path"]).parent.mkdir(parents=True, exist_ok=True)
        values = {"prompt_file": str(prompt), "workdir": str(workdir),
                  "workflow_dir": packet.get("workflow_dir") or str(repo),
                  "output": packet["expected_artifacts"][0]["path"]
                  if packet["expected_artifacts"] else "",
                  "job_id": job["job_id"], "attempt": str(job["attempt"]),
                  "run_id": self.run_id, "artifact_root": packet.get("artifact_root") or ""}
        lane = packet["lane_spec"]
        try:
            invocation = profiles.invocation(lane, values)
            agent = agent_process.launch(
                invocation, cwd=workdir, env=self._env(packet, prompt), scratch=scratch,
                timeout_s=float(lane.get("timeout_s", 1800)), packet=packet)
        except (errors.StriatumError, OSError) as error:
            self._quietly("fail", lease=packet["lease"]["lease_id"],
                          reason=f"could not launch the agent: {error}")
            return
        self.running[agent.lease_id] = agent
        self.log(f"{job['job_id']} attempt {job['attempt']} started (pid {agent.process.pid})")

    def _env(self, packet: dict[str, Any], prompt: Path) -> dict[str, str]:
        from striatum import paths

        env = dict(os.environ)
        job = packet["job"]
        env.update({
            "STRIATUM_TOKEN": packet["token"], "STRIATUM_LEASE": packet["lease"]["lease_id"],
            "STRIATUM_RUN_ID": self.run_id, "STRIATUM_JOB_ID": job["job_id"],
            "STRIATUM_ATTEMPT": str(job["attempt"]), "STRIATUM_PROMPT_FILE": str(prompt),
            "STRIATUM_INPUT_FIFO": str(prompt.with_name("input.fifo")),
            "STRIATUM_OUTPUT": packet["expected_artifacts"][0]["path"]
            if packet["expected_artifacts"] else "",
            "STRIATUM_RUNTIME_DIR": str(paths.runtime_dir()),
        })
        return env

    def _watch(self) -> None:
        now = time.monotonic()
        for lease_id, agent in list(self.running.items()):
            code = agent.process.poll()
            if code is None and now > agent.deadline:
                agent.kill_group(f"timed out after {agent.packet['lane_spec'].get('timeout_s')}s")
                code = agent.process.poll()
            elif code is None and now - agent.last_heartbeat > self._heartbeat_every(agent):
                self._heartbeat(agent)
                continue
            if code is None:
                continue
            del self.running[lease_id]
            self._finish(agent, code)

    def _heartbeat_every(self, agent: AgentProcess) -> float:
        return max(0.2, float(agent.packet["lease"]["ttl_s"]) / 3)

    def _heartbeat(self, agent: AgentProcess) -> None:
        agent.last_heartbeat = time.monotonic()
        try:
            self.call("heartbeat", lease=agent.lease_id)
        except (errors.Conflict, errors.NotFound):  # lease lost: cancelled or expired
            agent.kill_group("lease lost")

    def _finish(self, agent: AgentProcess, code: int) -> None:
        job = agent.packet["job"]["job_id"]
        if agent.killed_because == "lease lost":
            self.log(f"{job}: lease lost; agent killed")
            return
        if agent.killed_because:
            self._quietly("fail", lease=agent.lease_id, reason=agent.killed_because)
        elif code != 0:
            self._quietly("fail", lease=agent.lease_id, reason=f"agent exited with {code}; "
                          f"see {agent.scratch / 'stderr.log'}")
        else:
            try:
                self._bring_back_artifacts(agent)
                done = self.call("complete", lease=agent.lease_id)
                self._commit(agent, done)
            except errors.ValidationError as error:
                self._quietly("fail", lease=agent.lease_id,
                              reason=f"agent exited 0 but {error.message}")
            except errors.Conflict:
                pass  # the lease ended meanwhile (the run was cancelled)
        self.log(f"{job}: agent exited {code}")

    def _bring_back_artifacts(self, agent: AgentProcess) -> None:
        """Declared outputs written in the worktree are published from the repository."""
        repo = Path(agent.packet["repo"])
        workdir = self._workdir(repo)
        if workdir == repo:
            return
        for expected in agent.packet["expected_artifacts"]:
            source = workdir / expected["path"]
            if source.is_file() and not source.is_symlink():
                target = repo / expected["path"]
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)

    def _commit(self, agent: AgentProcess, done: dict[str, Any]) -> None:
        workdir = self._workdir(Path(agent.packet["repo"]))
        if workdir == Path(agent.packet["repo"]) or done.get("state") != "succeeded":
            return
        job = agent.packet["job"]
        sha = worktrees.commit(workdir, run_id=self.run_id, job_id=job["job_id"],
                               attempt=job["attempt"], event_hash=done.get("event_hash"),
                               artifact_root=agent.packet.get("artifact_root") or "")
        if sha:
            self.log(f"{job['job_id']}: committed {sha[:12]} on {worktrees.branch(self.run_id)}")

    def _quietly(self, method: str, **params: Any) -> None:
        try:
            self.call(method, **params)
        except errors.StriatumError as error:
            self.log(f"{method} failed: {error.message}")

    def _stop(self, signum: int, frame: object) -> None:
        self.stopping = True


def _code_scopes(scopes: list[str], artifact_root: str) -> list[str]:
    return [s.rstrip("/") for s in scopes
            if artifact_root and not (s.rstrip("/") + "/").startswith(artifact_root + "/")]


def _overlap(left: list[str], right: list[str]) -> bool:
    return any(a == b or a.startswith(b + "/") or b.startswith(a + "/")
               for a in left for b in right)

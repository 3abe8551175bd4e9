"""The supervisor: claims a run's ready jobs and runs their agents until the run ends.

It is a client of the daemon like any other (operator token, RPC), and the only supervisor of
its run (a lock file in `.striatum/`). For each job it renders the prompt into `.striatum/`,
launches the lane's agent in its own process group in the run's worktree, with the lease's
lane token in its environment, heartbeats the lease while the process lives, kills the group
on timeout or lease loss, then commits the job's changes and completes it, or fails it. If
the supervisor dies, its agents die with it and its leases expire; the daemon's sweep gives
the jobs to the next supervisor.
"""

from __future__ import annotations

import fcntl
import os
import signal
import sys
import time
from pathlib import Path
from typing import IO, Any

from striatum import errors
from striatum.client import rpc
from striatum.engine import files, worktrees
from striatum.lanes import agent_process, attempt_end, environment, profiles
from striatum.lanes.agent_process import AgentProcess
from striatum.lanes.watchdog import Watchdog
from striatum.lanes.worktree_guard import WorktreeGuard
from striatum.model.workflow.paths import within

TICK_S = 0.05
IDLE_TICK_S = 0.5
# How long the daemon may stay unreachable before the supervisor gives up (its leases then
# expire, and a later supervisor takes the jobs over).
PATIENCE_S = float(os.environ.get("STRIATUM_SUPERVISOR_PATIENCE_S", "600"))
TERMINAL = ("succeeded", "failed", "cancelled")
REASON_LIMIT = 2000  # the `fail` verb's limit on --reason


class Supervisor:
    def __init__(self, run_id: str, *, until_blocked: bool = False, log: Any = None) -> None:
        self.run_id = run_id
        self.until_blocked = until_blocked
        self.running: dict[str, AgentProcess] = {}
        self.guard: WorktreeGuard | None = None  # set once the worktree is known
        self.stopping = False
        self.log = log or (lambda text: print(f"supervise: {text}", file=sys.stderr, flush=True))

    def call(self, method: str, **params: Any) -> Any:
        """One verb; while the daemon is away (restarting, say) wait and try again, still
        enforcing the agents' timeouts: leases outlive short outages."""
        delay, since = 0.2, time.monotonic()
        while True:
            try:
                return rpc.call(method, params)
            except (errors.DaemonUnreachable, errors.DatabaseUnavailable) as error:
                if self.stopping or time.monotonic() - since > PATIENCE_S:
                    raise
                self.log(f"{method}: {error.message}; retrying in {delay:.1f}s")
                self._enforce_deadlines()
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    def run(self) -> str:
        """Work until the run ends (or a signal); return the run's final state."""
        from striatum import paths

        status = self.call("status", run_id=self.run_id)
        self.repo = Path(status["run"]["repo"])
        self.artifact_root = status["run"]["artifact_root"].rstrip("/")
        with self._only_supervisor():
            agent_process.kill_leftovers(
                self.repo / ".striatum" / "runs" / self.run_id, self.run_id
            )
            self.workdir = (
                worktrees.ensure(
                    self.repo, self.run_id, paths.worktree(status["run"]["repo_id"], self.run_id)
                )
                if worktrees.usable(self.repo)
                else self.repo
            )
            self.guard = (
                WorktreeGuard(self.workdir, self.artifact_root)
                if self.workdir != self.repo
                else None
            )
            if self.guard is not None and (left := self.guard.drop_leftovers()):
                self.log(
                    f"dropped what an earlier supervisor's agents left uncommitted in "
                    f"the worktree: {', '.join(left[:10])}"
                )
            self.session = self.call("register-session", role="operator")["session_id"]
            signal.signal(signal.SIGTERM, self._stop)
            signal.signal(signal.SIGINT, self._stop)
            self.watchdog = Watchdog(self.run_id)
            try:
                return self._loop()
            finally:
                self.stopping = True  # clean-up calls try once: never wait for a gone daemon
                for agent in list(self.running.values()):
                    agent.kill_group("supervisor stopping")
                    self._quietly("release", lease=agent.lease_id)
                self._quietly("session.close", session=self.session)
                self.watchdog.close()

    def _only_supervisor(self) -> Any:
        import contextlib

        @contextlib.contextmanager
        def locked() -> Any:
            scratch = self.repo / ".striatum"
            scratch.mkdir(parents=True, exist_ok=True)
            handle: IO[str] = open(scratch / f"supervisor-{self.run_id}.lock", "a")  # noqa: SIM115
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                raise errors.Conflict(
                    f"run {self.run_id} already has a supervisor",
                    hint="striatum dashboard --run-id " + self.run_id,
                ) from None
            try:
                yield
            finally:
                handle.close()

        return locked()

    def _loop(self) -> str:
        self.finished: str | None = None
        self.settled = True  # an agent finished: the run may have new ready work
        last_status = 0.0
        while not self.stopping:
            if self.finished:
                return self.finished
            if self.running and not self.settled and time.monotonic() - last_status < IDLE_TICK_S:
                self._watch()  # nothing can have become ready: only watch the agents
                time.sleep(TICK_S)
                continue
            self.settled, last_status = False, time.monotonic()
            status = self.call("status", run_id=self.run_id)
            state = status["run"]["state"]
            if state in TERMINAL:  # ended (cancelled, say): stop whatever still runs
                for agent in list(self.running.values()):
                    agent.kill_group(f"the run {state}")
                    self.watchdog.forget(agent.process.pid)
                    self.log(f"{agent.packet['job']['job_id']}: killed, the run {state}")
                self.running.clear()
                return str(state)
            claimed = self._claim_all(status) if state == "running" else 0
            self._watch()
            if self.until_blocked and self._only_waiting(status) and not self.running:
                return "waiting for the human"
            time.sleep(TICK_S if claimed or self.running else IDLE_TICK_S)
        return "stopped"

    @staticmethod
    def _only_waiting(status: dict[str, Any]) -> bool:
        """Nothing ready or leased, and something waits for a human decision."""
        moving = {"ready", "leased"}
        return bool(status["open_blockers"]) and not any(
            job["state"] in moving for job in status["jobs"]
        )

    def _claim_all(self, status: dict[str, Any]) -> int:
        """Claim ready jobs by id: within each lane's concurrency, and never a write job
        whose scope overlaps one that is running (so nothing is claimed only to be released)."""
        claimed = 0
        for job in status["jobs"]:
            if job["state"] != "ready" or not job["lane"]:
                continue
            limit = int(status["lanes"].get(job["lane"], {}).get("max_concurrency", 1))
            busy = sum(1 for a in self.running.values() if a.packet["job"]["lane"] == job["lane"])
            if busy >= limit or self._conflicts(job["write_scope"]):
                continue
            packet = self.call(
                "claim-next", session=self.session, run_id=self.run_id, job=job["job_id"]
            )
            if packet["claimed"]:
                self._start(packet)
                claimed += 1
        return claimed

    def _code_scopes(self, scopes: list[str]) -> list[str]:
        return [s.rstrip("/") for s in scopes if not within(s, self.artifact_root)]

    def _conflicts(self, scopes: list[str]) -> bool:
        mine = self._code_scopes(scopes)
        return any(
            _overlap(mine, self._code_scopes(a.packet["write_scope"]))
            for a in self.running.values()
        )

    def _start(self, packet: dict[str, Any]) -> None:
        job = packet["job"]
        scratch = (
            self.repo
            / ".striatum"
            / "runs"
            / self.run_id
            / job["job_id"]
            / f"attempt-{job['attempt']}"
        )
        scratch.mkdir(parents=True, exist_ok=True, mode=0o700)
        prompt = scratch / "prompt.md"
        prompt.write_text(packet["prompt"], encoding="utf-8")
        os.chmod(prompt, 0o600)
        fifo = scratch / "input.fifo"
        if fifo.is_symlink() or fifo.exists():
            fifo.unlink()
        os.mkfifo(fifo, 0o600)  # `striatum send` writes here; the agent may read it
        for expected in packet["expected_artifacts"]:
            (self.workdir / expected["path"]).parent.mkdir(parents=True, exist_ok=True)
        values = {
            "prompt_file": str(prompt),
            "workdir": str(self.workdir),
            "workflow_dir": packet.get("workflow_dir") or str(self.repo),
            "output": packet["expected_artifacts"][0]["path"]
            if packet["expected_artifacts"]
            else "",
            "job_id": job["job_id"],
            "attempt": str(job["attempt"]),
            "run_id": self.run_id,
            "artifact_root": packet.get("artifact_root") or "",
            "lease_id": packet["lease"]["lease_id"],
        }
        lane = packet["lane_spec"]
        try:
            invocation = profiles.invocation(lane, values)
            env = environment.build(
                lane, self._lease_vars(packet, prompt, fifo), os.environ, scratch
            )
            agent = agent_process.launch(
                invocation,
                cwd=self.workdir,
                env=env,
                scratch=scratch,
                timeout_s=float(lane.get("timeout_s", 1800)),
                packet=packet,
            )
        except (errors.StriatumError, OSError) as error:
            # Another attempt would fail the same way: fail the job now, not three times.
            why = attempt_end.launch_failure(lane, error)
            self._fail(packet["lease"]["lease_id"], why, permanent=True)
            self.log(f"{job['job_id']}: {why}")
            return
        self.running[agent.lease_id] = agent
        self.watchdog.watch(agent.process.pid)  # its group: the agent leads a new session
        self._write_lane_pids(job["lane"])
        self.log(f"{job['job_id']} attempt {job['attempt']} started (pid {agent.process.pid})")

    def _write_lane_pids(self, lane: str) -> None:
        """`.striatum/runs/<run>/lanes/<lane>.pid`: the pids of the lane's live agents."""
        folder = self.repo / ".striatum" / "runs" / self.run_id / "lanes"
        folder.mkdir(parents=True, exist_ok=True)
        pids = [
            str(a.process.pid) for a in self.running.values() if a.packet["job"]["lane"] == lane
        ]
        (folder / f"{lane}.pid").write_text("".join(f"{pid}\n" for pid in pids))

    def _lease_vars(self, packet: dict[str, Any], prompt: Path, fifo: Path) -> dict[str, str]:
        from striatum import paths

        job = packet["job"]
        return {
            "STRIATUM_TOKEN": packet["token"],
            "STRIATUM_LEASE": packet["lease"]["lease_id"],
            "STRIATUM_RUN_ID": self.run_id,
            "STRIATUM_JOB_ID": job["job_id"],
            "STRIATUM_ATTEMPT": str(job["attempt"]),
            "STRIATUM_PROMPT_FILE": str(prompt),
            "STRIATUM_INPUT_FIFO": str(fifo),
            "STRIATUM_OUTPUT": packet["expected_artifacts"][0]["path"]
            if packet["expected_artifacts"]
            else "",
            "STRIATUM_RUNTIME_DIR": str(paths.runtime_dir()),
        }

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        for agent in self.running.values():
            if agent.process.poll() is None and now > agent.deadline:
                agent.kill_group(f"timed out after {agent.packet['lane_spec'].get('timeout_s')}s")

    def _watch(self) -> None:
        self._enforce_deadlines()
        now = time.monotonic()
        for lease_id, agent in list(self.running.items()):
            code = agent.process.poll()
            if code is None:
                if now - agent.last_heartbeat > self._heartbeat_every(agent):
                    self._heartbeat(agent)
                continue
            agent.kill_group("finished")  # stragglers the agent left in its group
            self.watchdog.forget(agent.process.pid)
            del self.running[lease_id]
            self.settled = True
            self._write_lane_pids(agent.packet["job"]["lane"])
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
        job = agent.packet["job"]
        scopes = self._code_scopes(agent.packet["write_scope"])
        try:
            failure, model = self._judge(agent, code, scopes)
        except (errors.StriatumError, OSError, ValueError) as error:  # never the supervisor
            failure, model = f"the supervisor could not judge the attempt: {error}", None
        if failure is None:
            self._complete(agent, scopes, model)
            return
        self._discard(scopes)
        if agent.killed_because != "lease lost":
            self._fail(agent.lease_id, failure)
        self.log(f"{job['job_id']}: {failure}")

    def _judge(
        self, agent: AgentProcess, code: int, scopes: list[str]
    ) -> tuple[str | None, str | None]:
        """(why the attempt failed or None, the model its CLI reported)."""
        output = attempt_end.judge(agent, code)
        failure = output.failure
        if agent.killed_because not in (None, "finished"):
            failure = agent.killed_because
        if self.guard is not None:
            others = [
                scope
                for other in self.running.values()
                if other is not agent
                for scope in self._code_scopes(other.packet["write_scope"])
            ]
            broke, made = self.guard.police(
                scopes=scopes, others=others, forbidden=agent.packet.get("forbidden_paths", [])
            )
            if made:
                self.log(
                    f"{agent.packet['job']['job_id']}: its own commits were taken back "
                    f"and judged as changes: {'; '.join(made)}"
                )
            if broke:
                failure = broke if failure is None else f"{failure}; also {broke}"
        return failure, output.model

    def _discard(self, scopes: list[str]) -> None:
        try:
            worktrees.discard(self.workdir, scopes)
        except errors.StriatumError as error:
            self.log(f"could not discard the attempt's changes: {error.message}")

    def _complete(self, agent: AgentProcess, scopes: list[str], model: str | None) -> None:
        job = agent.packet["job"]
        sha = None
        try:
            if self.workdir != self.repo:
                for expected in agent.packet["expected_artifacts"]:
                    files.copy_from_worktree(
                        self.workdir, self.repo, expected["path"], self.artifact_root
                    )
                head = self.call("status", run_id=self.run_id)["chain_head"]
                anchor = head["row_hash"] if head else None
                sha = worktrees.commit(
                    self.workdir,
                    run_id=self.run_id,
                    job_id=job["job_id"],
                    attempt=job["attempt"],
                    lease_id=agent.lease_id,
                    anchor=anchor,
                    scopes=scopes,
                )
                if self.guard is not None:
                    self.guard.committed()
            extra = {k: v for k, v in (("commit", sha), ("model", model)) if v}
            done = self.call("complete", lease=agent.lease_id, **extra)
            self.log(f"{job['job_id']}: completed" + (f", commit {sha[:12]}" if sha else ""))
            if done.get("run_state") in TERMINAL and not self.running:
                self.finished = str(done["run_state"])  # no need to ask again
        except (errors.ValidationError, errors.StriatumError) as error:
            if sha:  # the attempt did not succeed: its commit leaves the branch
                worktrees.undo(self.workdir, sha)
            if self.guard is not None:
                self.guard.committed()
            self._discard(scopes)
            if isinstance(error, errors.Conflict):  # the lease ended meanwhile
                self.log(f"{job['job_id']}: {error.message}")
                return
            self._fail(agent.lease_id, f"agent exited 0 but {error.message}")
            self.log(f"{job['job_id']}: failed: {error.message}")

    def _fail(self, lease: str, reason: str, *, permanent: bool = False) -> None:
        """Fail an attempt; a reason longer than the verb takes is cut, never refused (a
        refused `fail` would leave the job leased until its lease expired)."""
        if len(reason) > REASON_LIMIT:
            reason = reason[: REASON_LIMIT - 1] + "…"
        self._quietly("fail", lease=lease, reason=reason, permanent=permanent)

    def _quietly(self, method: str, **params: Any) -> None:
        try:
            self.call(method, **params)
        except errors.StriatumError as error:
            self.log(f"{method} failed: {error.message}")

    def _stop(self, signum: int, frame: object) -> None:
        self.stopping = True


def _overlap(left: list[str], right: list[str]) -> bool:
    return any(within(a, b) or within(b, a) for a in left for b in right)

"""The supervisor: claims a run's ready jobs and runs their agents until the run ends.

It is a client of the daemon like any other (operator token, RPC), and the only supervisor of
its run (a lock file in `.striatum/`); it registers itself (host, pid, process identity) so
that its host's daemon resumes a supervised run it leaves behind. For each job it renders the
prompt into `.striatum/`, launches the lane's agent in its own process group in the run's
worktree, with the lease's lane token in its environment, heartbeats the lease while the
process lives, kills the group on timeout or lease loss, then commits the job's changes and
completes it, or fails it. If the supervisor dies, its agents die with it; the next
supervisor (the daemon relaunches one for a supervised run) ends the leases it left, and
the jobs are retried as new attempts.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import select
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from striatum import errors, paths
from striatum.client import rpc
from striatum.engine import files, worktrees
from striatum.lanes import (
    agent_output,
    agent_process,
    attempt_end,
    environment,
    liveness,
    markers,
    pidfiles,
    preflight,
    profiles,
    run_branch,
    sandbox,
    sandbox_plan,
    site,
    supervisor_env,
    usage_report,
)
from striatum.lanes.agent_process import AgentProcess
from striatum.lanes.assignment import Assignment
from striatum.lanes.attempt_folders import AttemptFolders
from striatum.lanes.site import Site
from striatum.lanes.usage_limits import Limit
from striatum.lanes.watchdog import Watchdog
from striatum.lanes.worktree_guard import WorktreeGuard
from striatum.model import prices
from striatum.model.packet import LaneSpec, WorkPacket
from striatum.model.prices import PriceTable
from striatum.model.workflow.paths import code_scopes, overlapping

if TYPE_CHECKING:
    from striatum.lanes.egress_proxy import EgressProxy

TICK_S = 0.05  # how often agents are polled where the kernel cannot wake us (no pidfd)
IDLE_TICK_S = 0.5  # with no agent running: how often the run is read again
REFRESH_S = 1.0  # with agents running: how often (others may have made work ready)
# A lane whose last agent ended within this long of its start keeps one job claimed ahead
# (`Reserve`), started the moment a slot frees instead of after the daemon's answer.
QUICK_S = 1.0
# How long the daemon may stay unreachable before the supervisor gives up (its leases then
# expire, and a later supervisor takes the jobs over).
PATIENCE_S = paths.number_setting("STRIATUM_SUPERVISOR_PATIENCE_S", 600)
TERMINAL = ("succeeded", "failed", "cancelled")
REASON_LIMIT = 2000  # the `fail` verb's limit on --reason
USAGE_FILE = "usage.json"  # in an attempt's scratch folder: $STRIATUM_USAGE

Log = Callable[[str], None]


@dataclass
class Reserve:
    """A job claimed ahead for a quick lane whose slots are all taken: its lease held (and
    heartbeated) until a slot frees, then its agent started at once; given back (`release`,
    no attempt counted against it) when it cannot start."""

    assignment: Assignment
    last_heartbeat: float = field(default_factory=time.monotonic)


def _to_stderr(text: str) -> None:
    print(f"supervise: {text}", file=sys.stderr, flush=True)


def supervise(run_id: str, *, until_blocked: bool = False, log: Log | None = None) -> str:
    """Work until the run ends (or a signal); return the run's final state."""
    say = log or _to_stderr
    status = patient_call(say, "status", run_id=run_id)
    if status["run"].get("repo_here") is False:  # the path is another host's
        raise errors.Conflict(
            f"run {run_id}'s repository has no checkout on this host ({paths.host_name()})",
            hint=f"supervise it where it has one, or: striatum adopt --join "
            f"{status['run']['repo_id']} in a clone here",
        )
    repo = Path(status["run"]["repo"])
    with site.only_supervisor(repo, run_id), site.held_lock(repo, f"worker-{run_id}.lock") as free:
        if not free:  # they would share this host's checkout, worktree and scratch
            raise errors.Conflict(
                f"a worker of this host serves run {run_id}", hint="stop it first"
            )
        where, guard = site.take_over(run_id, status, say)
        remote = _travel(run_id, where, status, say)  # before registering: a refusal leaves
        session = patient_call(say, "register-session", role="operator")["session_id"]
        me = {"run_id": run_id, "host": paths.host_name(), "pid": os.getpid()}
        # Who holds the run, for its host's daemon to resume it should this process die.
        patient_call(
            say,
            "supervisor.register",
            **me,
            identity=liveness.identity(os.getpid()),
            session=session,
        )
        supervisor = Supervisor(
            run_id,
            site=where,
            guard=guard,
            session=session,
            watchdog=Watchdog(run_id),
            until_blocked=until_blocked,
            log=say,
            remote=remote,
        )
        signal.signal(signal.SIGTERM, supervisor.stop)
        signal.signal(signal.SIGINT, supervisor.stop)
        outcome = "stopped"
        try:
            outcome = supervisor.run()
        finally:
            supervisor.leave(me, outcome)
        return outcome


def _travel(run_id: str, where: Site, status: dict[str, Any], say: Log) -> str | None:
    """The remote a run's commits travel through when some of its lanes run on workers
    (other hosts): the run's branch is pushed there now, for workers to start from."""
    placed = worker_lanes(status["lanes"])
    if not placed:
        return None
    if where.workdir == where.repo:
        raise errors.Conflict(
            f"run {run_id} places lanes on workers ({', '.join(sorted(placed))}), but its "
            "repository has no commit: there is no branch for their commits to travel on",
            hint="commit something, then prepare the run again",
        )
    remote = str(status["run"].get("remote") or run_branch.REMOTE)
    run_branch.push(where.workdir, remote, run_id)  # with what workers pushed meanwhile
    run_branch.take_in_published(where.repo, where.workdir, where.artifact_root)
    say(
        f"lanes {', '.join(sorted(placed))} are left to workers; commits travel through "
        f"{remote}/{worktrees.branch(run_id)}"
    )
    return remote


def patient_call(log: Log, method: str, **params: Any) -> Any:
    """One verb; while the daemon is away (restarting, say) wait and try again."""
    return _patiently(log, method, params, stopping=lambda: False, meanwhile=lambda: None)


def _patiently(
    log: Log,
    method: str,
    params: dict[str, Any],
    *,
    stopping: Callable[[], bool],
    meanwhile: Callable[[], None],
) -> Any:
    delay, since = 0.2, time.monotonic()
    while True:
        try:
            return rpc.call(method, params, keep=True)  # one connection per thread, kept
        except (errors.DaemonUnreachable, errors.DatabaseUnavailable, errors.Busy) as error:
            if stopping() or time.monotonic() - since > PATIENCE_S:
                raise
            log(f"{method}: {error.message}; retrying in {delay:.1f}s")
            meanwhile()
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


class Supervisor:
    """The run's one supervisor, from its first claim to the run's end."""

    def __init__(
        self,
        run_id: str,
        *,
        site: Site,
        guard: WorktreeGuard | None,
        session: str,
        watchdog: Watchdog,
        until_blocked: bool = False,
        log: Log = _to_stderr,
        serves: frozenset[str] | None = None,
        remote: str | None = None,
    ) -> None:
        self.run_id = run_id
        # The lanes whose jobs this process runs: by default those placed `local` (a lane
        # placed on `workers` is left to `striatum worker`, lanes/worker.py).
        self.serves = serves if serves is not None else local_lanes(site.lanes)
        # A travelling run's remote: commits meet on its run branch (lanes/run_branch.py).
        self.remote = remote
        self.behind: str | None = None  # why the last catch-up with the remote failed
        self.unpushed = ""  # why the last push to the remote failed
        self.site = site
        self.guard = guard  # None: the agents work in the repository itself
        self.session = session
        self.watchdog = watchdog  # closed when run() returns
        self.until_blocked = until_blocked
        self.log = log
        self.running: dict[str, AgentProcess] = {}  # by lease id
        self.reserved: dict[str, Reserve] = {}  # by lane: at most one job claimed ahead
        self.quick: set[str] = set()  # lanes whose last agent ended within QUICK_S
        self.refusals: dict[str, str] = {}  # job -> why the daemon last refused its claim
        self.exits: dict[str, int] = {}  # lease id -> a pidfd readable once its agent exits
        # The run's ready jobs as last heard: from a read of its moving jobs (`status --jobs
        # moving`), then from each transition's answer (`ready`), so a job costs no read.
        self.ready: dict[str, dict[str, Any]] = {}
        self.run_state = "running"
        # Nothing has run in the worktree since it was last put back, or since an attempt's
        # success was policed with no other attempt live: the next start need not put it back.
        self.worktree_clean = False
        self.stopping = False
        self.finished: str | None = None  # the run's end, once a completion reported it
        # Completions sent from a thread while the loop goes on (`_complete_later`).
        self.completer = ThreadPoolExecutor(max_workers=2, thread_name_prefix="complete")
        self.claimer = ThreadPoolExecutor(max_workers=4, thread_name_prefix="claim")
        self.pending: dict[Future[Any], AgentProcess] = {}
        # Completions in flight that also claim the lane's next job (`then_claim`): until
        # they answer, the loop claims nothing, so no claim can overlap the unknown next job.
        self.claims_next: set[Future[Any]] = set()
        self.leaving = False  # the loop is over: a job claimed next is given back, not started
        self._run_dir = site.repo / ".striatum" / "runs" / run_id
        self.lanes_dir_made = False  # `.striatum/runs/<run>/lanes/`, made at the first start
        # Lanes whose pid file still lists an agent that ended: rewritten before the loop
        # waits, unless the next start on the lane rewrote it first (an attempt's end is
        # mostly followed at once by the next one's start: one write a job, not two, and
        # the file is not cut to nothing, which ext4 writes out: `pidfiles`).
        self.stale_lane_pids: set[str] = set()
        self.folders = AttemptFolders(self._run_dir)  # made ahead, while the loop waits
        self.prices: PriceTable | None = None  # read at the first attempt's end
        self.wake_r, self.wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self.proxies: dict[str, EgressProxy] = {}  # strict lanes' egress proxies, by lane

    def call(self, method: str, **params: Any) -> Any:
        """One verb; while the daemon is away (restarting, say) wait and try again, still
        enforcing the agents' timeouts: leases outlive short outages."""
        return _patiently(
            self.log,
            method,
            params,
            stopping=lambda: self.stopping,
            meanwhile=self._enforce_deadlines,
        )

    def run(self) -> str:
        """Work until the run ends (or a signal); return the run's final state."""
        unsandboxed = preflight.sandbox_warning(self.site.lanes)
        if unsandboxed:
            self.log(f"warning: {unsandboxed}")
        try:
            outcome = self._loop()
            if self.remote is not None and outcome in TERMINAL:
                # Every job pushed before it completed: take in the last of other hosts'.
                self._catch_up()
            return outcome
        finally:
            self.leaving = True
            self.claimer.shutdown(wait=True)
            self.completer.shutdown(wait=True)  # completions sent are answered first
            self._settle()
            self.stopping = True  # clean-up calls try once: never wait for a gone daemon
            stopped = list(self.running.values())
            for agent in stopped:
                agent.kill_group("supervisor stopping")
                self._forget(agent.lease_id)
            self._isolate("the supervisor stopped")
            self._write_stale_lane_pids()
            self.folders.discard()
            for agent in stopped:
                self._quietly("release", lease=agent.lease_id)
            for reserve in self.reserved.values():
                self._quietly("release", lease=reserve.assignment.lease_id)
            self.reserved.clear()
            self._quietly("session.close", session=self.session)
            self.watchdog.close()
            for proxy in self.proxies.values():
                proxy.close()
            os.close(self.wake_r)
            os.close(self.wake_w)

    def _loop(self) -> str:
        read_at = 0.0  # when to read the whole run again
        while not self.stopping:
            settled = self._settle()
            if self.finished:
                return self.finished
            if time.monotonic() >= read_at:
                # Their leases were taken before this read.
                watched = set(self.running) | {
                    r.assignment.lease_id for r in self.reserved.values()
                }
                status = self.call("status", run_id=self.run_id, jobs="moving")
                ended = self._read(status, watched)
                if ended:
                    return ended
                busy = self.running or self.pending or self.reserved
                if self.until_blocked and self._only_waiting(status) and not busy:
                    return "waiting for the human"
                read_at = time.monotonic() + (REFRESH_S if busy else IDLE_TICK_S)
            claimed = self._claim_all() if self.run_state == "running" else 0
            if self._watch() or claimed or settled:
                continue  # an agent ended or started: there may be more to do at once
            if not self.running and not self.pending:
                read_at = min(read_at, time.monotonic() + IDLE_TICK_S)
            if self.pending or not self.running:  # never while an agent's exit may be due
                self.folders.prepare()  # the next attempt's, while the daemon answers
            self._wait(read_at)
        return "stopped"

    def _read(self, status: dict[str, Any], watched: set[str]) -> str | None:
        """Take in a whole read of the run; the run's end when it ended (then whatever still
        runs is stopped). An agent of `watched` whose lease the read no longer shows lost it
        (its job cancelled, a hard budget reached): it is stopped now, not at its next
        heartbeat."""
        state = str(status["run"]["state"])
        if state in TERMINAL:  # ended (cancelled, say): stop whatever still runs
            for agent in list(self.running.values()):
                agent.kill_group(f"the run {state}")
                self.watchdog.forget(agent.process.pid)
                self.log(f"{agent.assignment.job_id}: killed, the run {state}")
                self._forget(agent.lease_id)
            self._isolate(f"the run {state}")
            return state
        self.run_state = state
        if state != "running":  # paused: nothing more starts, so nothing is held ahead
            for reserve in self.reserved.values():
                self._quietly("release", lease=reserve.assignment.lease_id)
            self.reserved.clear()
        live = {lease["lease_id"] for lease in status.get("leases") or []}
        for lease_id in watched - live:
            lost = self.running.get(lease_id)
            if lost is not None and lost.process.poll() is None:
                lost.kill_group("lease lost")
        for lane, reserve in list(self.reserved.items()):
            if reserve.assignment.lease_id in watched - live:  # its job cancelled, say
                del self.reserved[lane]
                self.log(f"{reserve.assignment.job_id}: its lease ended before its start")
        self.ready = {
            job["job_id"]: job
            for job in status["jobs"]
            # A parked job is not claimable before its time: read again (each second at
            # most) until it is no longer parked.
            if job["state"] == "ready" and job["lane"] and not job.get("parked_until")
        }
        return None

    def _heard(self, answer: dict[str, Any]) -> None:
        """A transition's answer: the jobs it made ready join those known."""
        for job in answer.get("ready") or []:
            if job.get("lane"):
                self.ready[job["job_id"]] = job

    def _wait(self, until: float) -> None:
        """Sleep until `until`, a heartbeat or a deadline is due, or an agent exits."""
        now = time.monotonic()
        due = [until]
        for agent in self.running.values():
            due.append(agent.last_heartbeat + _heartbeat_every(agent.assignment))
            due.append(agent.deadline)
        for reserve in self.reserved.values():
            due.append(reserve.last_heartbeat + _heartbeat_every(reserve.assignment))
        timeout = max(0.0, min(due) - now)
        if len(self.exits) < len(self.running):  # some agent has no pidfd: poll it
            timeout = min(timeout, TICK_S)
        self.watchdog.flush()  # reaped groups, told before an idle moment
        self._write_stale_lane_pids()
        select.select([self.wake_r, *self.exits.values()], [], [], timeout)
        with contextlib.suppress(BlockingIOError):
            os.read(self.wake_r, 4096)  # a completion's wake-up, taken

    @staticmethod
    def _only_waiting(status: dict[str, Any]) -> bool:
        """Nothing ready or leased, and something waits for a human decision (in a run
        paused for one, its budget say, ready jobs wait too)."""
        moving = {"leased"} if status["run"]["state"] == "paused" else {"ready", "leased"}
        return bool(status["open_blockers"]) and not any(
            job["state"] in moving for job in status["jobs"]
        )

    def _claim_all(self) -> int:
        """Claim the ready jobs known, by id: within each lane's concurrency (plus one claimed
        ahead for a quick lane whose slots are all taken), and never a write job whose scope
        overlaps one that is running or claimed with it (so nothing is claimed only to be
        released). The claims are sent at once, from threads; the worktree is put back once
        before their attempts start. How many jobs started or were claimed ahead."""
        if self.claims_next:
            return 0
        started = self._start_reserved()
        picked: list[tuple[dict[str, Any], bool]] = []  # (job, claimed ahead)
        busy = Counter(a.assignment.lane_name for a in self.running.values())
        room = {
            name: lane["max_concurrency"] - busy[name] for name, lane in self.site.lanes.items()
        }
        ahead = {lane for lane in self.quick if lane not in self.reserved}
        taken: list[str] = []  # the code scopes of the jobs picked
        for job in self.ready.values():  # many may be ready: stop once every lane is full
            if not ahead and not any(left > 0 for left in room.values()):
                break
            lane = job["lane"]
            if lane not in self.serves:
                continue  # another process's (a worker's, or the run's supervisor's)
            if room.get(lane, 0) <= 0 and lane not in ahead:
                continue
            if self._conflicts(job["write_scope"], taken):
                continue
            later = room.get(lane, 0) <= 0
            picked.append((job, later))
            if later:
                ahead.discard(lane)
            else:
                room[lane] -= 1
            taken.extend(self._code_scopes(job["write_scope"]))
        if picked and self.remote is not None and not self._catch_up():
            return started  # claimed later, once this host has what other hosts pushed
        claims = [
            self._in_background(
                self.claimer,
                "claim-next",
                {"session": self.session, "run_id": self.run_id, "job": job["job_id"]},
            )
            for job, _ in picked
        ]
        failure, ahead_count = None, 0
        for (job, later), claim in zip(picked, claims, strict=True):
            del self.ready[job["job_id"]]  # claimed now, or no longer ready
            try:
                packet = claim.result()
            except errors.Conflict as error:  # taken meanwhile, or its scope is busy: later
                if self.refusals.get(job["job_id"]) != error.message:  # said once, not per read
                    self.refusals[job["job_id"]] = error.message
                    self.log(f"{job['job_id']}: not claimed: {error.message}")
                continue
            except errors.StriatumError as error:  # the others' agents still start
                failure = failure or error
                continue
            if not packet["claimed"]:
                continue
            self.refusals.pop(job["job_id"], None)
            assignment = Assignment.from_packet(packet)
            if later:
                self.reserved[assignment.lane_name] = Reserve(assignment)
                ahead_count += 1
                continue
            if not started and not self.worktree_clean:  # once, before the first start
                self._isolate(f"before {assignment.job_id} attempt {assignment.attempt}")
            self._start(assignment)
            started += 1
        if failure is not None:
            raise failure
        return started + ahead_count

    def _start_reserved(self) -> int:
        """Start the jobs claimed ahead whose lanes have a free slot; give back those that
        cannot start (the run no longer running, a scope now overlapping a running job's).
        How many started."""
        started = 0
        for lane, reserve in list(self.reserved.items()):
            if self._lane_full(lane):
                continue
            del self.reserved[lane]
            job = reserve.assignment
            if self.stopping or self.run_state != "running" or self._conflicts(job.write_scope):
                self._quietly("release", lease=job.lease_id)
                continue
            if not self.worktree_clean:
                self._isolate(f"before {job.job_id} attempt {job.attempt}")
            self._start(job)
            started += 1
        return started

    def _lane_full(self, lane: str) -> bool:
        """Whether the lane runs as many agents as it may."""
        busy = sum(a.assignment.lane_name == lane for a in self.running.values())
        return busy >= int(self.site.lanes[lane]["max_concurrency"])

    def _code_scopes(self, scopes: Sequence[str]) -> list[str]:
        return code_scopes(scopes, self.site.artifact_root)

    def _conflicts(self, scopes: Sequence[str], taken: Sequence[str] = ()) -> bool:
        """Whether these scopes overlap a running attempt's, a job's claimed ahead, or
        `taken` (code scopes). The daemon refuses such a claim anyway (SPEC §10): asking
        first spares the round trip."""
        mine = self._code_scopes(scopes)
        held = [a.assignment for a in self.running.values()]
        held += [r.assignment for r in self.reserved.values()]
        return overlapping(mine, list(taken)) is not None or any(
            overlapping(mine, self._code_scopes(job.write_scope)) is not None for job in held
        )

    def _start(self, job: Assignment) -> None:
        try:
            scratch = self.folders.take(job.job_id, job.attempt, job.prompt)
        except (errors.StriatumError, OSError) as error:
            self._fail(job.lease_id, f"cannot make the attempt's scratch folder: {error}")
            self.log(f"{job.job_id}: cannot make its scratch folder: {error}")
            return
        prompt, fifo = scratch / "prompt.md", scratch / "input.fifo"
        for output in job.outputs:
            folder = (self.site.workdir / output).parent
            if not folder.is_dir():  # a stat: mkdir of a folder that is there costs more
                folder.mkdir(parents=True, exist_ok=True)
        try:
            invocation = profiles.invocation(job.lane, self._placeholders(job, prompt))
            env = environment.build(
                job.lane,
                self._lease_vars(job, prompt, fifo),
                os.environ,
                scratch,
                own_cli_in=self._run_dir,
            )
            sandboxed = self._sandbox(job, scratch, env, invocation.argv)
            agent = agent_process.launch(
                invocation,
                cwd=self.site.workdir,
                env=env,
                scratch=scratch,
                timeout_s=float(job.lane["timeout_s"]),
                assignment=job,
                sandboxed=sandboxed,
            )
        except (errors.StriatumError, OSError) as error:
            # Another attempt would fail the same way: fail the job now, not three times.
            why = attempt_end.launch_failure(job.lane, error)
            self._fail(job.lease_id, why, permanent=True)
            self.log(f"{job.job_id}: {why}")
            return
        self.running[agent.lease_id] = agent
        self.worktree_clean = False
        with contextlib.suppress(OSError):  # no pidfd (an old kernel): polled instead
            self.exits[agent.lease_id] = os.pidfd_open(agent.process.pid)
        self.watchdog.watch(agent.process.pid, agent.lease_id)  # it leads a new session
        self._write_lane_pids(job.lane_name)
        where = "in a sandbox" if sandboxed else "unsandboxed"
        self.log(f"{job.job_id} attempt {job.attempt} started (pid {agent.process.pid}, {where})")

    def _sandbox(
        self, job: Assignment, scratch: Path, env: dict[str, str], argv: list[str]
    ) -> tuple[str, sandbox.Plan] | None:
        """The sandbox to launch the job's agent in (docs/SPEC.md §10, sandboxes), or None.
        A lane that names none gets `standard` where one can be made (and runs unsandboxed
        where not: `run start` and the supervisor's start warned). A lane that names one that
        cannot be made here is refused: a launch failure, so the job fails at once, with the
        fix."""
        asked = job.lane.get("sandbox")
        bwrap = None if asked == sandbox.NONE else sandbox.mechanism()
        kind = sandbox.effective(asked, bwrap is not None)
        if kind == sandbox.NONE:
            return None
        if bwrap is None:
            raise errors.ValidationError(
                f"lane {job.lane_name} asks for sandbox {asked}, and this machine cannot make "
                f"one ({sandbox.UNAVAILABLE}): {sandbox.FIX}"
            )
        egress = self._egress(job) if kind == sandbox.STRICT else None
        plan = sandbox_plan.for_attempt(
            repo=self.site.repo,
            workdir=self.site.workdir,
            scratch=scratch,
            run_dir=self._run_dir,
            provider=job.lane["provider"],
            env=env,
            workflow_dir=Path(job.workflow_dir) if job.workflow_dir else None,
            programs=sandbox_plan.program_folders(
                env.get("PATH", ""),
                # Its $HOME too: read-only like any home, even one under /tmp (a test's).
                [*argv, *([egress.python, egress.bridge] if egress else []), env.get("HOME", "")],
            ),
            egress=egress,
        )
        return bwrap, plan

    def _egress(self, job: Assignment) -> sandbox.Egress:
        """A strict lane's way out: its egress proxy (one per lane, for the supervisor's
        life), allowing its profile's hosts and its `allow_hosts`."""
        from striatum.lanes import egress_proxy, net_bridge
        from striatum.model import egress_rules

        lane = job.lane_name
        proxy = self.proxies.get(lane)
        if proxy is None:
            profile = profiles.PROFILES.get(job.lane["provider"])
            allowed = egress_rules.allowed(
                profile.hosts if profile else (), job.lane.get("allow_hosts") or []
            )
            proxy = egress_proxy.EgressProxy(
                allowed,
                lambda target: self.log(
                    f"lane {lane}: refused a connection to {target} (not in its allow_hosts)"
                ),
            )
            self.proxies[lane] = proxy
        return sandbox.Egress(proxy=proxy.path, python=sys.executable, bridge=net_bridge.__file__)

    def _placeholders(self, job: Assignment, prompt: Path) -> dict[str, str]:
        """What fills a lane command's placeholders."""
        return {
            "prompt_file": str(prompt),
            "workdir": str(self.site.workdir),
            "workflow_dir": job.workflow_dir or str(self.site.repo),
            "output": job.output,
            "job_id": job.job_id,
            "attempt": str(job.attempt),
            "run_id": self.run_id,
            "artifact_root": job.artifact_root,
            "lease_id": job.lease_id,
        }

    def _write_lane_pids(self, lane: str) -> None:
        """`.striatum/runs/<run>/lanes/<lane>.pid`: the pids of the lane's live agents."""
        folder = self._run_dir / "lanes"
        if not self.lanes_dir_made:  # made once: an attempt's start makes few files
            folder.mkdir(parents=True, exist_ok=True)
            self.lanes_dir_made = True
        self.stale_lane_pids.discard(lane)
        pids = [str(a.process.pid) for a in self.running.values() if a.assignment.lane_name == lane]
        pidfiles.write(folder / f"{lane}.pid", "".join(f"{pid}\n" for pid in pids))

    def _write_stale_lane_pids(self) -> None:
        for lane in list(self.stale_lane_pids):
            self._write_lane_pids(lane)

    def _lease_vars(self, job: Assignment, prompt: Path, fifo: Path) -> dict[str, str]:
        from striatum import paths

        return {
            "STRIATUM_TOKEN": job.token,
            "STRIATUM_LEASE": job.lease_id,
            "STRIATUM_RUN_ID": self.run_id,
            "STRIATUM_JOB_ID": job.job_id,
            "STRIATUM_ATTEMPT": str(job.attempt),
            "STRIATUM_PROMPT_FILE": str(prompt),
            "STRIATUM_INPUT_FIFO": str(fifo),
            "STRIATUM_OUTPUT": job.output,
            # Where a `command` agent may write what it used (SPEC §9, usage).
            "STRIATUM_USAGE": str(prompt.parent / USAGE_FILE),
            "STRIATUM_RUNTIME_DIR": str(paths.runtime_dir()),
        }

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        for agent in self.running.values():
            if agent.process.poll() is None and now > agent.deadline:
                agent.kill_group(f"timed out after {agent.assignment.lane['timeout_s']}s")

    def _watch(self) -> int:
        """Heartbeat the agents that run, finish those that ended; how many ended."""
        self._enforce_deadlines()
        markers.CLOCK.read()  # every wake-up: so the pid counter's wraps are all seen
        now, ended = time.monotonic(), 0
        for lease_id, agent in list(self.running.items()):
            code = agent.process.poll()
            if code is None:
                if now - agent.last_heartbeat > _heartbeat_every(agent.assignment):
                    self._heartbeat(agent)
                continue
            agent.kill_group("finished")  # stragglers the agent left in its group
            self.watchdog.forget(agent.process.pid)
            self._forget(lease_id)
            lane = agent.assignment.lane_name
            if now - agent.started < QUICK_S:
                self.quick.add(lane)
            else:
                self.quick.discard(lane)
            self._finish(agent, code)
            self.stale_lane_pids.add(lane)  # once its completion is sent
            ended += 1
        if ended:
            self._start_reserved()  # the slots just freed, without waiting for the daemon
        for lane, reserve in list(self.reserved.items()):
            if now - reserve.last_heartbeat > _heartbeat_every(reserve.assignment):
                reserve.last_heartbeat = now
                try:
                    self.call("heartbeat", lease=reserve.assignment.lease_id)
                except (errors.Conflict, errors.NotFound):  # its job cancelled, say
                    del self.reserved[lane]
        return ended

    def _forget(self, lease_id: str) -> None:
        self.running.pop(lease_id, None)
        exit_fd = self.exits.pop(lease_id, None)
        if exit_fd is not None:
            os.close(exit_fd)

    def _heartbeat(self, agent: AgentProcess) -> None:
        agent.last_heartbeat = time.monotonic()
        try:
            self.call("heartbeat", lease=agent.lease_id)
        except (errors.Conflict, errors.NotFound):  # lease lost: cancelled or expired
            agent.kill_group("lease lost")

    def _finish(self, agent: AgentProcess, code: int) -> None:
        job = agent.assignment
        scopes = self._code_scopes(job.write_scope)
        output = agent_output.AgentOutput()
        try:
            failure, output = self._judge(agent, code, scopes)
        except (errors.StriatumError, OSError, ValueError) as error:  # never the supervisor
            failure = f"the supervisor could not judge the attempt: {error}"
        agent.usage = self._usage(agent, output)
        if failure is None:
            # Policed: what the attempt left outside its scope is put back, its scope is
            # committed next; with no other attempt live, the worktree is the branch head's.
            self.worktree_clean = not self.running
            self._complete(agent, scopes, output.model)
            return
        self._isolate(f"{job.job_id} attempt {job.attempt} failed")
        if agent.killed_because == "lease lost":
            self.log(f"{job.job_id}: {failure}")
        elif output.limit is not None and agent.killed_because in (None, "finished"):
            self._park(agent, output.limit, failure)
        else:
            self._fail(agent.lease_id, failure, usage=agent.usage)
            self.log(f"{job.job_id}: {failure}")

    def _usage(self, agent: AgentProcess, output: agent_output.AgentOutput) -> str | None:
        """What the attempt used, as `complete --usage` takes it: what its CLI reported, or
        what the agent wrote at $STRIATUM_USAGE, priced from the table when no cost was said."""
        if self.prices is None:
            self.prices = _price_table(self.log)
        usage, problem = usage_report.combine(
            output.usage, agent.scratch / USAGE_FILE, self.prices, model=output.model
        )
        if problem:
            self.log(f"{agent.assignment.job_id}: {problem}")
        return None if usage is None else json.dumps(usage.to_payload())

    def _park(self, agent: AgentProcess, limit: Limit, failure: str) -> None:
        """The agent hit a rate or usage limit: its job waits for the limit to lift (when the
        CLI said when; else the lane's backoff), and the attempt is not counted."""
        job = agent.assignment
        when: dict[str, Any] = {}
        if limit.resets_at is not None:
            when["until"] = datetime.fromtimestamp(limit.resets_at, UTC).isoformat()
        elif limit.retry_after_s is not None:
            when["after_s"] = max(1, math.ceil(limit.retry_after_s))
        reason = _clipped(f"{limit.kind} limit: {limit.message or failure}")
        try:
            parked = self.call(
                "park", lease=agent.lease_id, reason=reason, usage=agent.usage, **when
            )
        except errors.StriatumError as error:  # e.g. a reset time past a week: fail instead
            self.log(f"{job.job_id}: could not park ({error.message}); failing the attempt")
            self._fail(agent.lease_id, failure, usage=agent.usage)
            return
        self.ready.pop(job.job_id, None)
        if parked.get("parked_until") is None:  # parked too often in a row: failed instead
            self.log(f"{job.job_id}: failed, {parked.get('reason')}")
            return
        self.log(f"{job.job_id}: parked until {parked['parked_until']}: {reason}")

    def _judge(
        self, agent: AgentProcess, code: int, scopes: list[str]
    ) -> tuple[str | None, agent_output.AgentOutput]:
        """(why the attempt failed or None, what its CLI reported)."""
        output = attempt_end.judge(agent, code)
        failure = output.failure
        if agent.killed_because not in (None, "finished"):
            failure = agent.killed_because
        if self.guard is not None:
            others = [
                scope
                for other in self.running.values()
                if other is not agent
                for scope in self._code_scopes(other.assignment.write_scope)
            ]
            broke, made = self.guard.police(
                scopes=scopes, others=others, forbidden=list(agent.assignment.forbidden)
            )
            if made:
                self.log(
                    f"{agent.assignment.job_id}: its own commits were taken back "
                    f"and judged as changes: {'; '.join(made)}"
                )
            if broke:
                failure = broke if failure is None else f"{failure}; also {broke}"
        return failure, output

    def _isolate(self, when: str) -> None:
        """Put back every uncommitted change in the worktree that no running attempt may be
        making (`WorktreeGuard.isolate`). In place (no worktree) nothing is put back: the
        checkout's files cannot be told from the user's (SPEC §10)."""
        if self.guard is None:
            return
        live = [
            s for a in self.running.values() for s in self._code_scopes(a.assignment.write_scope)
        ]
        try:
            stale = self.guard.isolate(live)
        except errors.StriatumError as error:
            self.log(f"{when}: could not put the worktree back: {error.message}")
            return
        self.worktree_clean = not live
        if stale:
            shown = ", ".join(stale[:10]) + (
                f" and {len(stale) - 10} more" if len(stale) > 10 else ""
            )
            self.log(f"{when}: put back what no running attempt owns: {shown}")

    def _complete(self, agent: AgentProcess, scopes: list[str], model: str | None) -> None:
        job, where = agent.assignment, self.site
        sha = None
        try:
            if where.workdir != where.repo:
                for output in job.outputs:
                    files.copy_from_worktree(where.workdir, where.repo, output, where.artifact_root)
                # A travelling run's artifacts are committed too: they reach other hosts so.
                travelling = [*scopes, *job.outputs] if self.remote is not None else scopes
                if worktrees.present(where.workdir, travelling):  # something to commit
                    head = self.call("status", run_id=self.run_id, jobs="moving")["chain_head"]
                    sha = worktrees.commit(
                        where.workdir,
                        run_id=self.run_id,
                        job_id=job.job_id,
                        attempt=job.attempt,
                        lease_id=agent.lease_id,
                        anchor=head["row_hash"] if head else None,
                        anchor_seq=head["seq"] if head else None,
                        scopes=travelling,
                    )
                if sha and self.remote is not None:
                    pushed = self._push()
                    sha = pushed  # None: the commit stayed here, and is dropped
                    if pushed is None:
                        raise errors.ValidationError(f"its commit was not pushed: {self.unpushed}")
                if sha and self.guard is not None:
                    self.guard.committed()
            extra = {
                k: v for k, v in (("commit", sha), ("model", model), ("usage", agent.usage)) if v
            }
            extra.update(self._then_claim(agent))
            if sha is None:  # nothing to take back should it fail: the loop goes on meanwhile
                self._complete_later(agent, extra)
                return
            self._completed(agent, sha, self.call("complete", lease=agent.lease_id, **extra))
        except (errors.ValidationError, errors.StriatumError) as error:
            self._not_completed(agent, sha, error)

    def _push(self) -> str | None:
        """A travelling run's commit (the worktree's head), pushed to the run's branch before
        the job completes: its id there (new when rebased onto what other hosts pushed
        meanwhile). None when it could not be pushed (`unpushed` says why): the commit,
        which never left this host, is dropped from the branch, its files left for the
        clean-up after a failed attempt to put back."""
        assert self.remote is not None
        workdir = self.site.workdir
        ours = worktrees.head(workdir)
        try:
            pushed = run_branch.push(workdir, self.remote, self.run_id)
        except errors.StriatumError as error:
            self.unpushed = error.message
            run_branch.drop_head(workdir)  # back to its parent, or to the tip it was replayed on
            with contextlib.suppress(errors.StriatumError, OSError):
                self._take_in(f"{ours}~1", worktrees.head(workdir))
            return None
        if pushed != ours:  # rebased: what other hosts pushed came in with it
            try:
                self._take_in(ours, pushed)
            except (errors.StriatumError, OSError) as error:  # the push stands: only said
                self.log(f"could not copy other hosts' artifacts into {self.site.repo}: {error}")
        return pushed

    def _push_revert(self, job_id: str) -> None:
        """A travelling run's revert of a pushed commit whose job then failed, pushed now:
        the other hosts' next attempts start without it."""
        assert self.remote is not None
        try:
            run_branch.push(self.site.workdir, self.remote, self.run_id)
        except errors.StriatumError as error:  # it goes with this host's next push
            self.log(f"{job_id}: the revert of its commit was not pushed yet: {error.message}")

    def _take_in(self, before: str, after: str) -> None:
        """Copy into this host's checkout the artifacts that other hosts published between
        two heads of the worktree (its daemon reads them there to build packets)."""
        root, workdir = self.site.artifact_root, self.site.workdir
        for name in worktrees.changed_between(workdir, before, after, root):
            files.copy_from_worktree(workdir, self.site.repo, name, root)

    def _catch_up(self) -> bool:
        """A travelling run, before claiming: take in what other hosts pushed to the run's
        branch (their commits, and the artifacts they published, which this host's daemon
        reads from the checkout to build packets). False, said once, when it cannot."""
        assert self.remote is not None
        workdir = self.site.workdir
        try:
            before = worktrees.head(workdir)
            if self.guard is not None and before != self.guard.head:
                # A running agent committed by itself: its commit is taken back when it
                # ends; catching up now would take it for this host's own and push it.
                return False
            after = run_branch.catch_up(workdir, self.remote, self.run_id)
            if after is not None and after != before:
                self._take_in(before, after)
        except (errors.StriatumError, OSError) as error:
            said = f"cannot catch up with {self.remote}'s run branch: {error}"
            if self.behind != said:  # said once, not at every try
                self.behind = said
                self.log(f"{said}; claims wait")
            return False
        self.behind = None
        if self.guard is not None:
            self.guard.committed()
        return True

    def _then_claim(self, agent: AgentProcess) -> dict[str, Any]:
        """Whether this completion may also claim the next job of the agent's lane (one round
        trip per job): only when no other live attempt has code to write, so whatever job the
        daemon picks cannot overlap one, and while the lane has room for it, counting the
        jobs that completions in flight claim next: its slots, and one ahead for a quick lane
        (as `_claim_all` claims), so no job so claimed is given back. With quick agents, an
        attempt often ends before the completion of the one before it answers: it claims
        next too, rather than leaving the loop a separate claim."""
        if self.stopping or self.run_state != "running":
            return {}
        if self.remote is not None:  # the next claim waits for what other hosts pushed
            return {}
        if any(self._code_scopes(a.assignment.write_scope) for a in self.running.values()):
            return {}
        lane = agent.assignment.lane_name
        committed = sum(a.assignment.lane_name == lane for a in self.running.values())
        committed += lane in self.reserved
        committed += sum(self.pending[f].assignment.lane_name == lane for f in self.claims_next)
        if committed >= int(self.site.lanes[lane]["max_concurrency"]) + (lane in self.quick):
            return {}
        return {"then_claim": True, "then_lane": lane}

    def _complete_later(self, agent: AgentProcess, extra: dict[str, Any]) -> None:
        """Send `complete` from the completer thread; `_settle` takes in its answer. The
        supervisor claims and starts other jobs while the daemon records this one."""
        future = self._in_background(self.completer, "complete", {"lease": agent.lease_id, **extra})
        future.add_done_callback(lambda _: self._wake())
        self.pending[future] = agent
        if extra.get("then_claim"):
            self.claims_next.add(future)

    def _in_background(
        self, pool: ThreadPoolExecutor, method: str, params: dict[str, Any]
    ) -> Future[Any]:
        """A verb sent from one of the supervisor's threads, patient as `call` is (the
        agents' deadlines stay the loop's to enforce, not this thread's)."""
        return pool.submit(
            _patiently,
            self.log,
            method,
            params,
            stopping=lambda: self.stopping,
            meanwhile=lambda: None,
        )

    def _settle(self) -> int:
        """Take in the answers of completions sent meanwhile; how many."""
        settled = [f for f in self.pending if f.done()]
        for future in settled:
            agent = self.pending.pop(future)
            self.claims_next.discard(future)
            try:
                self._completed(agent, None, future.result())
            except (errors.ValidationError, errors.StriatumError) as error:
                self._not_completed(agent, None, error)
        return len(settled)

    def _completed(self, agent: AgentProcess, sha: str | None, done: dict[str, Any]) -> None:
        self._heard(done)
        self.log(f"{agent.assignment.job_id}: completed" + (f", commit {sha[:12]}" if sha else ""))
        following: Any = done.get("next") or {}
        if following.get("claimed"):
            self._take_next(following)
        if done.get("run_state") in TERMINAL and not self.running and not self.pending:
            self.finished = str(done["run_state"])  # no need to ask again

    def _take_next(self, packet: WorkPacket) -> None:
        """Start the job a completion claimed next (`then_claim`), or keep it claimed ahead
        when a job claimed ahead before took the lane's slot; given back when stopping."""
        assignment = Assignment.from_packet(packet)
        self.ready.pop(assignment.job_id, None)
        if self.stopping or self.leaving:
            self._quietly("release", lease=assignment.lease_id)
            return
        lane = assignment.lane_name
        if self._lane_full(lane):
            if lane in self.reserved:  # never two ahead
                self._quietly("release", lease=assignment.lease_id)
            else:
                self.reserved[lane] = Reserve(assignment)
            return
        if not self.worktree_clean:
            self._isolate(f"before {assignment.job_id} attempt {assignment.attempt}")
        self._start(assignment)

    def _not_completed(
        self, agent: AgentProcess, sha: str | None, error: errors.StriatumError
    ) -> None:
        job = agent.assignment
        if sha:  # the attempt did not succeed: its commit leaves the branch
            worktrees.undo(self.site.workdir, sha)
            if self.remote is not None:  # it was pushed: so is its revert, at once
                self._push_revert(job.job_id)
        if self.guard is not None:
            self.guard.committed()
        self._isolate(f"{job.job_id} attempt {job.attempt} failed")
        if isinstance(error, errors.Conflict):  # the lease ended meanwhile
            self.log(f"{job.job_id}: {error.message}")
            return
        self._fail(agent.lease_id, f"agent exited 0 but {error.message}", usage=agent.usage)
        self.log(f"{job.job_id}: failed: {error.message}")

    def _wake(self) -> None:
        """From the completer thread: end the loop's wait."""
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self.wake_w, b"!")

    def _fail(
        self, lease: str, reason: str, *, permanent: bool = False, usage: str | None = None
    ) -> None:
        """Fail an attempt; a reason longer than the verb takes is cut, never refused (a
        refused `fail` would leave the job leased until its lease expired)."""
        reason = _clipped(reason)
        try:
            extra = {"usage": usage} if usage else {}
            self._heard(self.call("fail", lease=lease, reason=reason, permanent=permanent, **extra))
        except errors.StriatumError as error:
            self.log(f"fail failed: {error.message}")

    def _quietly(self, method: str, **params: Any) -> None:
        try:
            self.call(method, **params)
        except errors.StriatumError as error:
            self.log(f"{method} failed: {error.message}")

    def leave(self, me: dict[str, Any], outcome: str) -> None:
        """Say this supervisor no longer holds the run (a supervised run that still runs is
        then resumed by its host's daemon); once the run ended, drop its kept environment."""
        self._quietly("supervisor.leave", **me, outcome=outcome)
        if outcome in TERMINAL:
            supervisor_env.remove(self.run_id)

    def stop(self, signum: int, frame: object) -> None:
        """The signal handler: finish the current step, then clean up and return."""
        self.stopping = True


def _heartbeat_every(job: Assignment) -> float:
    """How often a lease is heartbeated: a third of its time to live."""
    return max(0.2, float(job.ttl_s) / 3)


def _clipped(reason: str) -> str:
    """A reason cut to what `fail` and `park` take, never refused for its length."""
    return reason if len(reason) <= REASON_LIMIT else reason[: REASON_LIMIT - 1] + "…"


def _price_table(log: Log) -> PriceTable:
    """The price table, with the user's file named by STRIATUM_PRICES in place of its entries;
    the shipped one alone (said in the log) when that file is unusable."""
    override = paths.setting("STRIATUM_PRICES")
    try:
        return prices.load(Path(override) if override else None)
    except prices.PriceError as error:
        log(f"STRIATUM_PRICES ignored: {error}")
        return prices.load()


def local_lanes(lanes: dict[str, LaneSpec]) -> frozenset[str]:
    """The lanes a run's own supervisor runs: those not placed on workers."""
    return frozenset(name for name, lane in lanes.items() if lane.get("placement") != "workers")


def worker_lanes(lanes: dict[str, LaneSpec]) -> frozenset[str]:
    """The lanes placed on workers (`striatum worker --lane`)."""
    return frozenset(lanes) - local_lanes(lanes)

"""`striatum worker`: this host runs the jobs of lanes placed on workers, in every running run
of a repository it has a checkout of (docs/MULTI_HOST.md).

A lane placed `workers` is left by the run's own supervisor. A worker serving that lane (on
the supervisor's host or another one sharing the database) finds the runs that have it,
and runs each with a supervisor of its own (lanes/supervisor.py) restricted to the lanes it
serves: the same claim, launch, heartbeat, timeout, judging and completion. It works in a
worktree of this host's checkout, on the run's branch as the `origin` remote holds it: it
catches up with that branch before it claims, and pushes each job's commit (code and
artifacts) there before the job completes (lanes/run_branch.py). One worker per run per host
(a lock file in `.striatum/`); a worker that dies loses its leases by expiry, and another
worker, here or elsewhere, runs the jobs again.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from striatum import errors, paths
from striatum.lanes import agent_process, run_branch, site
from striatum.lanes.site import Site
from striatum.lanes.supervisor import Supervisor, patient_call, worker_lanes
from striatum.lanes.watchdog import Watchdog
from striatum.lanes.worktree_guard import WorktreeGuard

POLL_S = 2.0  # how often the runs are looked for again
Log = Callable[[str], None]


def _to_stderr(text: str) -> None:
    print(f"worker: {text}", file=sys.stderr, flush=True)


class Worker:
    """The runs this process serves, each in a thread of its own."""

    def __init__(self, lanes: list[str], repo: Path | None, log: Log = _to_stderr) -> None:
        self.lanes = frozenset(lanes)
        self.repo = repo
        self.log = log
        self.stopped = threading.Event()
        self.serving: dict[str, tuple[threading.Thread, list[Supervisor]]] = {}
        self.placed: dict[str, frozenset[str]] = {}  # run -> the lanes it leaves to workers
        self.said: set[tuple[str, str]] = set()  # (run, what) said once, not at every poll
        self.last_said: dict[tuple[str, str], str] = {}  # what was said last, by (run, what)

    def run(self) -> None:
        """Serve until SIGTERM or SIGINT; then stop every run's supervisor (each gives its
        jobs back) and return."""
        if self.repo is not None and not self._checkouts():
            raise errors.NotFound(
                f"{self.repo} is not a checkout of an adopted repository on this host",
                hint=f"striatum --repo {self.repo} adopt --join auto",
            )
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        self.log(f"serving lanes {', '.join(sorted(self.lanes))} on {paths.host_name()}")
        while not self.stopped.is_set():
            try:
                wanted = list(self._wanted())
            except errors.StriatumError as error:  # the daemon gone for good, say
                self._say_once("", "runs", f"cannot list the runs to serve: {error.message}")
                wanted = []
            for run_id, served in wanted:
                thread = self.serving.get(run_id, (None, []))[0]
                if thread is None or not thread.is_alive():
                    self._serve(run_id, served)
            self.stopped.wait(POLL_S)
        for thread, _ in self.serving.values():
            thread.join()

    def stop(self, signum: int = 0, frame: object = None) -> None:
        self.stopped.set()
        for _, supervisors in self.serving.values():
            for supervisor in supervisors:
                supervisor.stop(signum, frame)

    def _wanted(self) -> Iterator[tuple[str, frozenset[str]]]:
        """The running runs of this host's checkouts with a lane this worker serves."""
        here = self._checkouts()
        for run in self._call("list.runs", state="running")["runs"]:
            if run["repo_id"] not in here:
                continue
            if run["run_id"] not in self.placed:
                lanes = self._call("status", run_id=run["run_id"], jobs="moving")["lanes"]
                self.placed[run["run_id"]] = worker_lanes(lanes)
            served = self.placed[run["run_id"]] & self.lanes
            if served:
                yield run["run_id"], served

    def _checkouts(self) -> set[str]:
        """The repositories this host has a checkout of (only --repo's, when given)."""
        return {
            repo["repo_id"]
            for repo in self._call("repo.list")["repositories"]
            if repo["here"] and (self.repo is None or Path(repo["path"]) == self.repo)
        }

    def _serve(self, run_id: str, served: frozenset[str]) -> None:
        supervisors: list[Supervisor] = []
        thread = threading.Thread(
            target=self._serve_run, args=(run_id, served, supervisors), name=f"run-{run_id}"
        )
        self.serving[run_id] = (thread, supervisors)
        thread.start()

    def _serve_run(self, run_id: str, served: frozenset[str], into: list[Supervisor]) -> None:
        say = _prefixed(self.log, run_id)
        try:
            outcome = self._supervise(run_id, served, into, say)
        except errors.StriatumError as error:  # tried again at the next poll; said once
            self._say_once(run_id, "failure", f"{run_id}: not served: {error.message}")
        except Exception as error:  # a thread's failure is said, never the worker's end
            self._say_once(run_id, "failure", f"{run_id}: not served: {error!r}")
        else:
            if outcome:
                say(f"done: the run {outcome}")

    def _say_once(self, run_id: str, what: str, text: str) -> None:
        """Say `text` unless it is what was said last about (run, what)."""
        if self.last_said.get((run_id, what)) != text:
            self.last_said[(run_id, what)] = text
            self.log(text)

    def _supervise(
        self, run_id: str, served: frozenset[str], into: list[Supervisor], say: Log
    ) -> str | None:
        status = self._call("status", run_id=run_id, jobs="moving")
        run = status["run"]
        repo = Path(run["repo"])
        if (status.get("supervisor") or {}).get("host") == paths.host_name():
            # It would share this host's one checkout, worktree and scratch with the run's
            # supervisor (whose agents a worker's start would take for leftovers).
            if (run_id, "same host") not in self.said:
                self.said.add((run_id, "same host"))
                say("not served: its supervisor runs on this host; serve its lane from another")
            return None
        with site.held_lock(repo, f"worker-{run_id}.lock") as held:
            if not held:
                return None  # another worker of this host serves it
            remote = str(run.get("remote") or run_branch.REMOTE)
            workdir = run_branch.worktree(
                repo, remote, run_id, paths.worktree(run["repo_id"], run_id)
            )
            if workdir is None:
                if (run_id, "no branch") not in self.said:
                    self.said.add((run_id, "no branch"))
                    say(f"waiting for its branch on {remote} (its supervisor pushes it at start)")
                return None
            agent_process.kill_leftovers(repo / ".striatum" / "runs" / run_id, run_id)
            root = run["artifact_root"].rstrip("/")
            run_branch.take_in_published(repo, workdir, root)
            guard = WorktreeGuard(workdir, root)
            guard.take_over(repo)
            session = self._call("register-session", role="operator")["session_id"]
            supervisor = Supervisor(
                run_id,
                site=Site(repo=repo, workdir=workdir, artifact_root=root, lanes=status["lanes"]),
                guard=guard,
                session=session,
                watchdog=Watchdog(run_id),
                log=say,
                serves=served,
                remote=remote,
            )
            into.append(supervisor)
            if self.stopped.is_set():
                supervisor.stop(0, None)
            say(f"serving lanes {', '.join(sorted(served))}")
            return supervisor.run()

    def _call(self, method: str, **params: Any) -> Any:
        return patient_call(self.log, method, **params)


def _prefixed(log: Log, run_id: str) -> Log:
    return lambda text: log(f"{run_id}: {text}")

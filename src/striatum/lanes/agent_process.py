"""One agent process: launched in its own session and process group with a parent-death signal
(death_signal), logged, timed, killed as a group."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from striatum.lanes import death_signal, markers, pidfiles, sandbox
from striatum.lanes.assignment import Assignment
from striatum.lanes.profiles import Invocation

KILL_GRACE_S = 5.0


@dataclass
class AgentProcess:
    assignment: Assignment
    process: subprocess.Popen[bytes]
    started: float
    deadline: float
    scratch: Path
    env: dict[str, str]
    last_heartbeat: float = field(default_factory=time.monotonic)
    killed_because: str | None = None
    birth: markers.Birth | None = None  # where the pid counter stood: bounds the marker scan
    usage: str | None = None  # what it used (a JSON object), once it ended and reported it

    @property
    def lease_id(self) -> str:
        return self.assignment.lease_id

    def kill_group(self, why: str) -> None:
        """SIGTERM the whole group, then SIGKILL what is left after a grace period; then
        whatever the attempt started that left the group (its environment names the lease),
        so nothing of the attempt writes into the worktree once this returns."""
        self.killed_because = self.killed_because or why
        for sent in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sent)
            except ProcessLookupError:
                break
            try:
                self.process.wait(KILL_GRACE_S if sent == signal.SIGTERM else None)
                break
            except subprocess.TimeoutExpired:
                continue
        _reap_group(self.process.pid)
        markers.kill(markers.of_lease(self.lease_id), floor=markers.CLOCK.since(self.birth))


def launch(
    invocation: Invocation,
    *,
    cwd: Path,
    env: dict[str, str],
    scratch: Path,
    timeout_s: float,
    assignment: Assignment,
    sandboxed: tuple[str, sandbox.Plan] | None = None,
) -> AgentProcess:
    """`sandboxed`: the `bwrap` and the plan to run the agent in (lanes/sandbox.py)."""
    # `scratch` exists: the supervisor made it (`attempt_folders`), its logs maybe too.
    # No preexec_fn where setpriv sets the death signal: Popen keeps its vfork fast path.
    argv = invocation.argv
    if sandboxed is not None:  # a missing CLI fails the launch, not exit 127 in the sandbox
        death_signal.check_runnable(argv[0], env=env, cwd=cwd)
        argv = sandbox.wrap(*sandboxed, argv)
    argv, preexec_fn = death_signal.armed(argv, env=env, cwd=cwd)
    stdin: IO[bytes] | int = subprocess.DEVNULL
    if invocation.stdin_file:
        stdin = open(invocation.stdin_file, "rb")  # noqa: SIM115 - handed to the child
    try:
        before = markers.CLOCK.before_fork()
        with open(scratch / "stdout.log", "ab") as out, open(scratch / "stderr.log", "ab") as err:
            process = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=stdin,
                stdout=out,
                stderr=err,
                start_new_session=True,
                preexec_fn=preexec_fn,
            )
    finally:
        if not isinstance(stdin, int):
            stdin.close()
    birth = markers.CLOCK.birth(process.pid, before)
    pidfiles.write(scratch / "agent.pid", f"{process.pid}\n")
    now = time.monotonic()
    return AgentProcess(
        assignment=assignment,
        process=process,
        started=now,
        deadline=now + timeout_s,
        scratch=scratch,
        env=env,
        birth=birth,
    )


def _reap_group(pgid: int) -> None:
    """Kill stragglers of a group whose leader is gone (a grandchild that outlived it)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def kill_leftovers(runs_dir: Path, run_id: str) -> list[int]:
    """Kill what agents of a dead supervisor (or worker) of this run on this host left
    running: every process whose environment names the run and this host's runtime
    directory, in any group (a tool may have left its agent's group), and the recorded agent
    groups they are in; the pids killed. Only under the run's supervisor (or worker) lock,
    before it starts an agent: nothing of the run is live on this host then. Another host's
    agents of the run (a worker's) are not this host's leftovers."""
    from striatum import paths

    recorded = set()
    for pidfile in runs_dir.rglob("agent.pid"):
        with contextlib.suppress(ValueError, OSError):
            recorded.add(int(pidfile.read_text().strip()))
    mine = (markers.of_run(run_id), markers.of_runtime(paths.runtime_dir()))
    return markers.kill(mine, groups=recorded)

"""Launching an agent: its own argv in its own session, dead with its supervisor (the kernel's
parent-death signal, no watchdog needed), and a program that cannot run refused as Popen
refuses it, by real processes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from striatum.lanes import death_signal
from tests.support.daemons import alive
from tests.support.waiting import wait_until

# A supervisor in miniature: launches one agent (`sleep 300`) as the supervisor does, says its
# pid, and waits to be killed. Argument: the scratch folder, then "fallback" to take the
# preexec_fn path as where setpriv is missing.
SUPERVISOR = """
import os, sys, time
from pathlib import Path
from striatum.lanes import agent_process, death_signal
from striatum.lanes.assignment import Assignment
from striatum.lanes.profiles import Invocation

if sys.argv[2] == "fallback":
    death_signal.setpriv_path = lambda: None
job = Assignment(job_id="j", lane_name="l", attempt=1, lease_id="lease", ttl_s=60, token="t",
    prompt="", outputs=(), write_scope=(), forbidden=(), lane={}, workflow_dir=None,
    artifact_root="")
scratch = Path(sys.argv[1])
agent = agent_process.launch(Invocation(argv=["sleep", "300"], stdin_file=None), cwd=scratch,
    env=dict(os.environ), scratch=scratch, timeout_s=600, assignment=job)
print(agent.process.pid, flush=True)
time.sleep(300)
"""

PATHS = ["setpriv", "fallback"]


@pytest.mark.parametrize("path", PATHS)
def test_an_agent_dies_with_its_supervisor_even_with_no_watchdog(tmp_path: Path, path: str) -> None:
    if path == "setpriv" and death_signal.setpriv_path() is None:
        pytest.skip("no setpriv with --pdeathsig here")
    with subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR, str(tmp_path), path],
        stdout=subprocess.PIPE,
        text=True,
    ) as supervisor:
        assert supervisor.stdout is not None
        agent = int(supervisor.stdout.readline())
        try:
            # setpriv, if any, exec'd the agent in place: its pid, its argv, leading a session.
            wait_until(lambda: cmdline(agent) == [b"sleep", b"300"], "the agent never ran")
            assert os.getsid(agent) == agent and os.getpgid(agent) == agent
            assert int((tmp_path / "agent.pid").read_text()) == agent
            supervisor.kill()
            supervisor.wait()
            wait_until(lambda: not alive(agent), "the agent outlived its supervisor", timeout=10)
        finally:
            supervisor.kill()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(agent, signal.SIGKILL)


def cmdline(pid: int) -> list[bytes]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:-1]
    except OSError:
        return []


def test_where_setpriv_sets_the_death_signal_popen_gets_no_preexec_fn(tmp_path: Path) -> None:
    """No preexec_fn: CPython may take its vfork path, not fork the whole supervisor."""
    setpriv = death_signal.setpriv_path()
    if setpriv is None:
        pytest.skip("no setpriv with --pdeathsig here")
    argv, preexec_fn = death_signal.armed(["sleep", "1"], env=dict(os.environ), cwd=tmp_path)
    assert preexec_fn is None
    assert argv == [setpriv, "--pdeathsig", "KILL", "--", "sleep", "1"]


@pytest.mark.parametrize(
    ("program", "where", "mode", "path_entry"),
    [
        ("no-such-agent", "bin", 0o755, "bin"),
        ("agent", "bin", 0o644, "bin"),  # there, not executable
        ("bin", "bin", 0o755, "."),  # a folder of that name is no program
        ("./agent", ".", 0o755, "/nonexistent"),  # named by a path: relative to the cwd
        ("./agent", ".", 0o644, "/nonexistent"),
        ("agent", "bin", 0o755, "bin"),  # a relative PATH entry: relative to the cwd
        ("agent", ".", 0o755, ""),  # an empty PATH entry is the cwd
        ("agent", "bin", 0o755, f"/nonexistent:{os.sep}bin-not-here:bin"),
    ],
)
def test_a_program_is_found_or_refused_as_popen_finds_or_refuses_it(
    tmp_path: Path, program: str, where: str, mode: int, path_entry: str
) -> None:
    work = tmp_path / "work"
    (work / where).mkdir(parents=True, exist_ok=True)
    (work / where / "agent").write_text("#!/bin/sh\nexit 0\n")
    (work / where / "agent").chmod(mode)
    env = {"PATH": path_entry}
    popen_error = None
    try:
        subprocess.run([program], cwd=work, env=env, check=False)
    except OSError as error:
        popen_error = error
    try:
        death_signal.check_runnable(program, env=env, cwd=work)
    except OSError as error:
        assert popen_error is not None, f"refused what Popen runs: {error}"
        assert (type(error), error.errno) == (type(popen_error), popen_error.errno)
        assert error.filename == program
    else:
        assert popen_error is None, f"accepted what Popen refuses: {popen_error}"

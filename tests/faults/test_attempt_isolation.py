"""A commit holds only what its own attempt wrote: an attempt that ends without success (its
supervisor killed with `kill -9` mid-write, its agent failing) leaves nothing behind for the
next one, and resetting after it never touches a running job's work in progress."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from striatum.lanes import markers
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, new_repo
from tests.support.waiting import wait_until

BIN = Path(sys.executable).parent
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]

# `append.sh LABEL COUNT BEAT FILE`: appends `LABEL line i` to FILE, one line per beat.
APPEND = """i=0
while [ $i -lt "$2" ]; do
  i=$((i+1)); mkdir -p "$(dirname "$4")"; echo "$1 line $i" >> "$4"; sleep "$3"
done
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        [*GIT, "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def scoped_run(
    operator: Operator, tmp_path: Path, agent: str, jobs: dict[str, str], **lane_extra: Any
) -> str:
    """A run of parallel `jobs` (id -> code write scope), each agent running the shell script
    `agent` with `append.sh`'s path as $APPEND, in a repository with history."""
    (operator.repo / "README.md").write_text("x\n")
    git(operator.repo, "add", "README.md")
    git(operator.repo, "commit", "-qm", "init")
    (tmp_path / "append.sh").write_text(APPEND)
    (tmp_path / "agent.sh").write_text(f"APPEND={tmp_path}/append.sh\n{agent}")
    lane = {
        "provider": "command",
        "command": ["sh", str(tmp_path / "agent.sh")],
        "timeout_s": 120,
        "max_attempts": 3,
        "max_concurrency": 2,
        **lane_extra,
    }
    document = {
        "schema_version": "striatum.workflow.v1",
        "id": "iso",
        "name": "Isolation",
        "lanes": {"agent": lane},
        "jobs": [
            {
                "id": name,
                "kind": "task",
                "lane": "agent",
                "write_scope": [scope, "docs/striatum/"],
                "artifacts": [{"path": f"docs/striatum/{name}.md"}],
            }
            for name, scope in jobs.items()
        ],
    }
    (tmp_path / "workflow.json").write_text(json.dumps(document))
    return operator.prepare(tmp_path / "workflow.json")


def status(operator: Operator, run_id: str) -> dict[str, Any]:
    found: dict[str, Any] = operator.cli("status", "--run-id", run_id)
    return found


def worktree(operator: Operator, run_id: str) -> Path:
    """The run's worktree, once the supervisor has made it."""
    found: list[Path] = []

    def listed() -> bool:
        # While `git worktree add` is half done, `git worktree list` may fail: ask again.
        done = subprocess.run(
            [*GIT, "-C", str(operator.repo), "worktree", "list", "--porcelain"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            return False
        lines = done.stdout.splitlines()
        found[:] = [Path(line[9:]) for line in lines if line.startswith("worktree ")]
        found[:] = [path for path in found if path.name == run_id]
        return bool(found)

    wait_until(listed, "the run's worktree never appeared")
    return found[0]


def line_count(path: Path) -> int:
    try:
        return len(path.read_text().splitlines())
    except OSError:
        return 0


def background_supervisor(operator: Operator, run_id: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(BIN / "striatum"), "supervise", "--run-id", run_id],
        env=operator.daemon.env,
        cwd=operator.repo,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def supervise(operator: Operator, run_id: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "striatum"), "supervise", "--run-id", run_id, "--until-blocked"],
        env=operator.daemon.env,
        cwd=operator.repo,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def expire_leases(operator: Operator, run_id: str) -> None:
    """Shorten the dead supervisor's leases; the daemon's own sweep expires them."""
    for lease in status(operator, run_id)["leases"]:
        operator.cli("heartbeat", "--lease", lease["lease_id"], "--ttl-s", "1")
    wait_until(lambda: not status(operator, run_id)["leases"], "the leases never expired")


def committed(operator: Operator, run_id: str, job: str) -> dict[str, str]:
    """{path: text} of what the commit of `job`'s successful attempt holds."""
    [done] = [j for j in status(operator, run_id)["jobs"] if j["job_id"] == job]
    assert done["state"] == "succeeded", done
    subject = f"striatum: {job} (attempt {done['attempt']}) of {run_id}"
    [sha] = git(
        operator.repo, "log", "--format=%H", "--fixed-strings", f"--grep={subject}",
        f"striatum/{run_id}",
    ).split()  # fmt: skip
    names = git(operator.repo, "show", "--name-only", "--format=", sha).split()
    return {name: git(operator.repo, "show", f"{sha}:{name}") for name in names}


def shrinks(path: Path) -> Callable[[], bool]:
    """True once the file has fewer lines than it had before."""
    most = [line_count(path)]

    def shrunk() -> bool:
        now = line_count(path)
        most[0] = max(most[0], now)
        return now < most[0]

    return shrunk


def attempt_lines(label: str, count: int) -> str:
    return "".join(f"{label} line {i}\n" for i in range(1, count + 1))


# Attempt 1 appends slowly (it is killed mid-write); attempt 2 appends 16 lines and succeeds.
WRITER = {
    "in-the-agent-group": 'sh "$APPEND" "attempt 1" 40 0.3 src/code.txt',
    # A tool an agent runs may leave its group (a new session): out of reach of the group
    # kill, of PR_SET_PDEATHSIG and of the watchdog's list of groups.
    "out-of-the-agent-group": 'setsid sh "$APPEND" "attempt 1" 40 0.3 src/code.txt & wait',
}


@pytest.mark.parametrize("writer", sorted(WRITER))
def test_kill_9_of_the_supervisor_mid_write_leaves_nothing_for_attempt_2(
    daemon: DaemonUnderTest, tmp_path: Path, writer: str
) -> None:
    operator = Operator(daemon=daemon, repo=new_repo(tmp_path))
    agent = f"""if [ "$STRIATUM_ATTEMPT" = 1 ]; then {WRITER[writer]}; exit 1; fi
sh "$APPEND" "attempt $STRIATUM_ATTEMPT" 16 0.05 src/code.txt
echo ok > "$STRIATUM_OUTPUT"
"""
    run_id = scoped_run(operator, tmp_path, agent, {"w": "src/"})
    first = background_supervisor(operator, run_id)
    code = worktree(operator, run_id) / "src" / "code.txt"
    wait_until(lambda: line_count(code) >= 4, "attempt 1 never wrote")
    first.send_signal(signal.SIGKILL)
    first.wait()
    # The watchdog kills the attempt's every process, the one that left its group too.
    run = markers.of_run(run_id)
    wait_until(lambda: not markers.find(run), "attempt 1 outlived its supervisor", 10)
    expire_leases(operator, run_id)
    second = supervise(operator, run_id)
    assert second.returncode == 0, second.stderr
    assert committed(operator, run_id, "w") == {"src/code.txt": attempt_lines("attempt 2", 16)}


def test_what_a_dead_attempt_wrote_before_attempt_2_starts_is_never_committed(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    """The issue's case: the dead attempt's writer goes on after the new supervisor took the
    worktree over and ends before attempt 2 starts (here it is unreachable by design: it
    dropped the environment that names the run); attempt 2 starts from the branch head.
    Without a sandbox: in one, the writer dies with its sandbox, and could not touch the
    gate outside it."""
    operator = Operator(daemon=daemon, repo=new_repo(tmp_path))
    gate = tmp_path / "go"
    agent = f"""if [ "$STRIATUM_ATTEMPT" = 1 ]; then
  env -i PATH="$PATH" setsid sh -c 'sh "$0" "attempt 1" 9 0.5 src/code.txt; touch {gate}' \
    "$APPEND" &
  sleep 300
fi
sh "$APPEND" "attempt $STRIATUM_ATTEMPT" 16 0.05 src/code.txt
echo ok > "$STRIATUM_OUTPUT"
"""
    run_id = scoped_run(operator, tmp_path, agent, {"w": "src/"}, sandbox="none")
    first = background_supervisor(operator, run_id)
    code = worktree(operator, run_id) / "src" / "code.txt"
    wait_until(lambda: line_count(code) >= 2, "attempt 1 never wrote")
    first.send_signal(signal.SIGKILL)
    first.wait()
    second = background_supervisor(operator, run_id)  # takes over while the writer writes
    try:
        wait_until(shrinks(code), "the new supervisor never put the worktree back")
        wait_until(gate.exists, "the dead attempt's writer never finished")
        expire_leases(operator, run_id)
        assert second.wait(60) == 0
    finally:
        second.kill()
    assert committed(operator, run_id, "w") == {"src/code.txt": attempt_lines("attempt 2", 16)}


def test_a_failed_attempt_leaves_nothing_in_or_out_of_its_scope_for_the_retry(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    operator = Operator(daemon=daemon, repo=new_repo(tmp_path))
    agent = """if [ "$STRIATUM_ATTEMPT" = 1 ]; then
  sh "$APPEND" "attempt 1" 3 0 src/code.txt
  sh "$APPEND" "attempt 1" 3 0 elsewhere/stray.txt
  setsid sh "$APPEND" "attempt 1 straggler" 50 0.1 src/code.txt &
  sleep 0.5; exit 3
fi
sh "$APPEND" "attempt $STRIATUM_ATTEMPT" 16 0.05 src/code.txt
echo ok > "$STRIATUM_OUTPUT"
"""
    run_id = scoped_run(operator, tmp_path, agent, {"w": "src/"})
    result = supervise(operator, run_id)
    assert result.returncode == 0, result.stderr
    assert committed(operator, run_id, "w") == {"src/code.txt": attempt_lines("attempt 2", 16)}
    where = worktree(operator, run_id)
    assert not (where / "elsewhere").exists()
    assert "attempt 1" not in (where / "src" / "code.txt").read_text()


def test_a_running_jobs_work_survives_another_attempts_failure_and_retry(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    """`slow` writes lib/wip.txt while `fast` fails, is reset and retried beside it: the
    resets spare the running job's scope, and its commit holds every line it wrote."""
    operator = Operator(daemon=daemon, repo=new_repo(tmp_path))
    agent = """if [ "$STRIATUM_JOB_ID" = slow ]; then
  sh "$APPEND" slow 30 0.1 lib/wip.txt
elif [ "$STRIATUM_ATTEMPT" = 1 ]; then
  sh "$APPEND" "fast attempt 1" 3 0 src/code.txt; sh "$APPEND" stray 1 0 stray.txt; exit 1
else
  sh "$APPEND" "fast attempt $STRIATUM_ATTEMPT" 4 0 src/code.txt
fi
echo ok > "$STRIATUM_OUTPUT"
"""
    run_id = scoped_run(operator, tmp_path, agent, {"slow": "lib/", "fast": "src/"})
    result = supervise(operator, run_id)
    assert result.returncode == 0, result.stderr
    fast = {j["job_id"]: j["attempt"] for j in status(operator, run_id)["jobs"]}["fast"]
    assert fast == 2
    assert committed(operator, run_id, "fast") == {
        "src/code.txt": attempt_lines("fast attempt 2", 4)
    }
    assert committed(operator, run_id, "slow") == {"lib/wip.txt": attempt_lines("slow", 30)}
    assert "put back what no running attempt owns: src/code.txt" in result.stderr

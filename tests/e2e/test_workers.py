"""A run that crosses hosts: its supervisor on host A runs the `here` lane, a `striatum worker`
on host B the lane placed on workers; two daemons (STRIATUM_HOST apart) on one database, two
clones of one bare remote. Each job needs the one before it, made on the other host, so the
run succeeds only if commits and artifacts travel both ways through the run's branch."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from tests.support.daemons import BIN, DaemonUnderTest, daemon_pair
from tests.support.servers import PgServer

# One script for both lanes: each job checks that the file of the job before it is there.
SCRIPT = """
set -e
case "$STRIATUM_JOB_ID" in
  one) ;;
  two) test -f src/one.txt
       if [ -n "$HANG_ONCE" ] && [ ! -e "$HANG_ONCE" ]; then touch "$HANG_ONCE"; sleep 300; fi ;;
  three) test -f src/two.txt; test -f docs/striatum/*/two.md || true ;;
esac
mkdir -p src
echo "$STRIATUM_JOB_ID" > "src/$STRIATUM_JOB_ID.txt"
echo "made by $STRIATUM_JOB_ID" > "$STRIATUM_OUTPUT"
"""


@pytest.fixture
def hosts(server: PgServer) -> Iterator[tuple[DaemonUnderTest, DaemonUnderTest]]:
    with daemon_pair(server, hosts=("host-a", "host-b")) as both:
        yield both


def git(where: Path, *args: str) -> str:
    identity = ["-c", "user.name=t", "-c", "user.email=t@t"]
    done = subprocess.run(
        ["git", "-C", str(where), *identity, *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def remote_with_clones(tmp_path: Path) -> tuple[Path, Path, Path]:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    clones = []
    for name in ("clone-a", "clone-b"):
        clone = tmp_path / name
        subprocess.run(["git", "clone", "-q", str(remote), str(clone)], check=True)
        clones.append(clone)
    (clones[0] / "README.md").write_text("hello\n")
    git(clones[0], "add", "README.md")
    git(clones[0], "commit", "-qm", "init")
    git(clones[0], "push", "-q", "origin", "HEAD")
    git(clones[1], "pull", "-q", "origin")
    return remote, clones[0], clones[1]


def workflow(folder: Path, hang_once: Path | None = None, remote: str | None = None) -> Path:
    """Three jobs, the middle one on the lane placed on workers; with `hang_once`, its first
    attempt hangs (after touching that file)."""
    lane = {
        "provider": "command",
        "command": ["sh", "-c", SCRIPT],
        "timeout_s": 600,
        "max_attempts": 2,
        "sandbox": "none",
        "env": {"HANG_ONCE": str(hang_once or "")},
    }
    jobs = [
        ("one", "here", []),
        ("two", "there", ["one"]),
        ("three", "here", ["two"]),
    ]
    document = {
        "schema_version": "striatum.workflow.v1",
        "id": "crossing",
        "name": "Crossing",
        "lanes": {"here": lane, "there": {**lane, "placement": "workers"}},
        "jobs": [
            {
                "id": job,
                "kind": "task",
                "lane": lane_name,
                "write_scope": [f"src/{job}.txt", "docs/striatum/"],
                "artifacts": [{"path": f"docs/striatum/{job}.md"}],
                **({"depends_on": needs} if needs else {}),
            }
            for job, lane_name, needs in jobs
        ],
    }
    if remote is not None:
        document["remote"] = remote
    path = folder / "crossing.json"
    path.write_text(json.dumps(document))
    return path


def started_on(daemon: DaemonUnderTest, clone: Path, flow: Path) -> str:
    """A run of `flow` prepared and started (with no supervisor yet) in `clone`."""
    run_id: str = daemon.json("--repo", str(clone), "run", "prepare", "--workflow", str(flow))[
        "run_id"
    ]
    daemon.json("--repo", str(clone), "run", "start", run_id, "--no-supervise")
    return run_id


def start_worker(
    daemon: DaemonUnderTest, clone: Path, log: Path, lane: str = "there"
) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(BIN / "striatum"), "--repo", str(clone), "worker", "--lane", lane],
            env=daemon.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_a_run_crosses_two_hosts_through_its_branch_on_the_shared_remote(
    hosts: tuple[DaemonUnderTest, DaemonUnderTest], tmp_path: Path
) -> None:
    a, b = hosts
    remote, clone_a, clone_b = remote_with_clones(tmp_path)
    assert a.json("--repo", str(clone_a), "adopt")["repo_id"]
    assert b.json("--repo", str(clone_b), "adopt", "--join", "auto")["joined"]
    # The workflow names its remote: "shared", another bare repository than origin.
    origin, remote = remote, tmp_path / "shared.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(origin), str(remote)], check=True)
    for clone in (clone_a, clone_b):
        git(clone, "remote", "add", "shared", str(remote))
    flow = workflow(tmp_path, remote="shared")
    run_id = started_on(a, clone_a, flow)
    worker_log = tmp_path / "worker.log"
    worker = start_worker(b, clone_b, worker_log)
    try:
        supervised = a.cli("--repo", str(clone_a), "supervise", run_id, timeout=180)
        # The worker sees the run end too, and takes in what host A pushed last.
        wait_until(lambda: "done: the run succeeded" in worker_log.read_text(), "worker")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker_exit = worker.wait(60)
    said = worker_log.read_text()
    for clone in (clone_a, clone_b):  # every job's artifact, in both hosts' checkouts
        made = sorted(p.name for p in (clone / "docs" / "striatum").rglob("*.md"))
        assert made == ["one.md", "three.md", "two.md"], (clone, made)
    assert supervised.returncode == 0, supervised.stderr + "\n--- worker ---\n" + said
    assert worker_exit == 0, said
    assert "left to workers; commits travel through shared/" in supervised.stderr
    assert git(origin, "branch", "--list", f"striatum/{run_id}") == ""  # not on origin

    # The remote's run branch holds the three jobs' commits, in order, with their trailers,
    # and the files and artifacts each made.
    branch = f"striatum/{run_id}"
    jobs = git(remote, "log", "--format=%(trailers:key=Striatum-Job,valueonly)", branch).split()
    assert jobs == ["three", "two", "one"]
    files = git(remote, "ls-tree", "-r", "--name-only", branch).splitlines()
    assert {"src/one.txt", "src/two.txt", "src/three.txt"} <= set(files)
    assert sum(name.endswith((".md",)) and "docs/striatum/" in name for name in files) == 3

    # Job two ran on host B, the others on host A; every lease ended completed.
    assert a.database is not None
    with psycopg.connect(a.database.admin_conninfo) as conn:
        leases: dict[str, str] = dict(
            conn.execute(
                "SELECT job_id, host FROM striatumd.leases WHERE run_id = %s "
                "AND outcome = 'completed'",
                (run_id,),
            ).fetchall()
        )
    assert leases == {"one": "host-a", "two": "host-b", "three": "host-a"}
    for daemon in hosts:
        doctor = daemon.cli("daemon", "doctor", "--fast", "--json")
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert os.path.isdir(clone_b / ".striatum")

    # Landing on host A brings every job's files and artifacts into its checkout (which
    # holds the artifacts already, published there as they came: the same bytes).
    landed = a.cli("--repo", str(clone_a), "--as", "principal", "run", "land", run_id)
    assert landed.returncode == 0, landed.stderr
    assert (clone_a / "src" / "two.txt").read_text() == "two\n"
    assert git(clone_a, "status", "--porcelain", "--untracked-files=all", "--", "src", "docs") == ""


def wait_until(check: Callable[[], object], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_a_host_lost_mid_attempt_loses_its_lease_and_the_job_runs_again_on_a_new_worker(
    hosts: tuple[DaemonUnderTest, DaemonUnderTest], tmp_path: Path
) -> None:
    a, b = hosts
    remote, clone_a, clone_b = remote_with_clones(tmp_path)
    a.json("--repo", str(clone_a), "adopt")
    b.json("--repo", str(clone_b), "adopt", "--join", "auto")
    hung = tmp_path / "hung-once"
    run_id = started_on(a, clone_a, workflow(tmp_path, hung))
    worker_log = tmp_path / "worker.log"
    worker = start_worker(b, clone_b, worker_log)
    supervisor_log = tmp_path / "supervisor.log"
    with supervisor_log.open("wb") as out:
        supervisor = subprocess.Popen(
            [str(BIN / "striatum"), "--repo", str(clone_a), "supervise", run_id],
            env=a.env,
            stdout=subprocess.DEVNULL,
            stderr=out,
        )
    try:
        wait_until(hung.exists, "job two's first attempt never started on host B")
        status = a.json("--repo", str(clone_a), "status", run_id)
        (lease,) = status["leases"]
        assert (lease["job_id"], lease["host"]) == ("two", "host-b")
        # Host B is lost: its daemon and its worker die at once (the agent with the worker).
        b.kill()
        worker.kill()
        worker.wait(30)
        # Its lease runs out (1 s instead of the lane's TTL) and host A's daemon ends it.
        a.json("--repo", str(clone_a), "heartbeat", "--lease", lease["lease_id"], "--ttl-s", "1")
        wait_until(
            lambda: not a.json("--repo", str(clone_a), "status", run_id)["leases"],
            "the lost host's lease never expired",
        )
        # Host B comes back: a new worker runs the job again, as its second attempt.
        b.start()
        worker = start_worker(b, clone_b, worker_log)
        assert supervisor.wait(180) == 0, supervisor_log.read_text() + worker_log.read_text()
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)
        if supervisor.poll() is None:
            supervisor.kill()
    assert a.database is not None
    with psycopg.connect(a.database.admin_conninfo) as conn:
        attempts = conn.execute(
            "SELECT l.attempt, l.outcome, l.host FROM striatumd.leases l "
            "WHERE l.run_id = %s AND l.job_id = 'two' ORDER BY l.attempt",
            (run_id,),
        ).fetchall()
    assert attempts == [(1, "expired", "host-b"), (2, "completed", "host-b")]
    jobs = git(
        remote, "log", "--format=%(trailers:key=Striatum-Job,valueonly)", f"striatum/{run_id}"
    )
    assert jobs.split() == ["three", "two", "one"]
    for daemon in hosts:
        doctor = daemon.cli("daemon", "doctor", "--fast", "--json")
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr


def attempts_of(daemon: DaemonUnderTest, run_id: str) -> list[tuple[str, int, str, str]]:
    assert daemon.database is not None
    with psycopg.connect(daemon.database.admin_conninfo) as conn:
        return conn.execute(
            "SELECT job_id, attempt, state, coalesce(reason, '') FROM striatumd.job_attempts "
            "WHERE run_id = %s ORDER BY started_at",
            (run_id,),
        ).fetchall()


def code_change_workflow(tmp_path: Path) -> Path:
    """The code-change example, its reviewer lane placed on workers, its author also writing
    code (`src/change.txt`, one line per attempt) so that each attempt makes a commit."""
    root = Path(__file__).parents[2] / "examples"
    shutil.copytree(root / "code-change-flow", tmp_path / "flows" / "code-change-flow")
    shutil.copytree(root / "agents", tmp_path / "flows" / "agents")
    path = tmp_path / "flows" / "code-change-flow" / "workflow.json"
    document = json.loads(path.read_text())
    author = document["lanes"]["author"]
    code = (
        'if [ "$STRIATUM_JOB_ID" = change ]; then mkdir -p src && '
        'echo "attempt $STRIATUM_ATTEMPT" > src/change.txt; fi; exec "$@"'
    )
    author["command"] = ["sh", "-c", code, "author", *author["command"]]
    for lane in document["lanes"].values():
        lane["sandbox"] = "none"
    document["lanes"]["reviewer1"]["placement"] = "workers"
    path.write_text(json.dumps(document))
    return path


def test_a_code_change_reviewed_on_another_host_loops_once_and_succeeds(
    hosts: tuple[DaemonUnderTest, DaemonUnderTest], tmp_path: Path
) -> None:
    """The issue's scenario: the author lane on host A, the reviewer on host B; the review
    asks for one revision; the remote branch holds both attempts' commits with trailers."""
    a, b = hosts
    remote, clone_a, clone_b = remote_with_clones(tmp_path)
    a.json("--repo", str(clone_a), "adopt")
    b.json("--repo", str(clone_b), "adopt", "--join", "auto")
    flow = code_change_workflow(tmp_path)
    run_id = started_on(a, clone_a, flow)
    worker_log = tmp_path / "worker.log"
    worker = start_worker(b, clone_b, worker_log, lane="reviewer1")
    worker_log_text = ""
    try:
        supervised = a.cli("--repo", str(clone_a), "supervise", run_id, timeout=240)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)
        worker_log_text = worker_log.read_text()
    assert supervised.returncode == 0, supervised.stderr + "\n--- worker ---\n" + worker_log_text
    verdicts = a.json("--repo", str(clone_a), "list", "verdicts", run_id)["verdicts"]
    assert [v["value"] for v in verdicts] == ["needs_revision", "accept"]
    log = git(
        remote,
        "log",
        "--reverse",
        "--topo-order",
        "--format=%(trailers:key=Striatum-Job,valueonly) "
        "%(trailers:key=Striatum-Attempt,valueonly)",
        f"striatum/{run_id}",
    )
    words = log.split()  # each trailer value ends with its own newline
    made = list(zip(words[::2], words[1::2], strict=True))
    assert made == [
        ("change", "1"),
        ("code-review", "1"),
        ("change", "2"),
        ("code-review", "2"),
        ("handoff", "1"),
    ], (made, attempts_of(a, run_id))
    assert git(remote, "show", f"striatum/{run_id}:src/change.txt") == "attempt 2"
    assert a.database is not None
    with psycopg.connect(a.database.admin_conninfo) as conn:
        hosts_by_job = conn.execute(
            "SELECT DISTINCT job_id, host FROM striatumd.leases WHERE run_id = %s ORDER BY 1",
            (run_id,),
        ).fetchall()
    assert hosts_by_job == [("change", "host-a"), ("code-review", "host-b"), ("handoff", "host-a")]
    for daemon in hosts:
        doctor = daemon.cli("daemon", "doctor", "--fast", "--json")
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr


def test_a_worker_on_the_supervisors_own_host_leaves_the_run_alone(
    hosts: tuple[DaemonUnderTest, DaemonUnderTest], tmp_path: Path
) -> None:
    """It would share that host's one checkout, worktree and scratch with the supervisor:
    it says so once, and the lane's jobs wait for a worker on another host."""
    a, _ = hosts
    _, clone_a, _ = remote_with_clones(tmp_path)
    a.json("--repo", str(clone_a), "adopt")
    run_id = started_on(a, clone_a, workflow(tmp_path))
    worker_log = tmp_path / "worker.log"
    with (tmp_path / "supervisor.log").open("wb") as out:
        supervisor = subprocess.Popen(
            [str(BIN / "striatum"), "--repo", str(clone_a), "supervise", run_id],
            env=a.env,
            stdout=subprocess.DEVNULL,
            stderr=out,
        )
    worker = start_worker(a, clone_a, worker_log)
    try:
        wait_until(
            lambda: "its supervisor runs on this host" in worker_log.read_text(),
            "the worker never said why it leaves the run alone",
        )
        time.sleep(2.5)  # another round of the worker's: still nothing claimed by it
        jobs = {
            j["job_id"]: j["state"]
            for j in a.json("--repo", str(clone_a), "status", run_id)["jobs"]
        }
        assert jobs["two"] == "ready", jobs
        assert worker_log.read_text().count("its supervisor runs on this host") == 1
    finally:
        worker.send_signal(signal.SIGTERM)
        supervisor.send_signal(signal.SIGTERM)
        assert worker.wait(60) == 0
        supervisor.wait(60)


REFUSE_FIRST_ATTEMPT = """#!/bin/sh
# Refuse the push of job one's first attempt, as a remote that is down would.
while read old new ref; do
  case "$(git log -1 --format=%s "$new")" in
    "striatum: one (attempt 1) of "*) echo "refused for the test" >&2; exit 1 ;;
  esac
done
"""


def test_a_commit_that_cannot_be_pushed_fails_its_attempt_and_never_reaches_the_branch(
    hosts: tuple[DaemonUnderTest, DaemonUnderTest], tmp_path: Path
) -> None:
    a, b = hosts
    remote, clone_a, clone_b = remote_with_clones(tmp_path)
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(REFUSE_FIRST_ATTEMPT)
    hook.chmod(0o755)
    a.json("--repo", str(clone_a), "adopt")
    b.json("--repo", str(clone_b), "adopt", "--join", "auto")
    run_id = started_on(a, clone_a, workflow(tmp_path))
    worker_log = tmp_path / "worker.log"
    worker = start_worker(b, clone_b, worker_log)
    try:
        supervised = a.cli("--repo", str(clone_a), "supervise", run_id, timeout=180)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)
    assert supervised.returncode == 0, supervised.stderr + worker_log.read_text()
    attempts = attempts_of(a, run_id)
    (first,) = [row for row in attempts if row[:2] == ("one", 1)]
    assert first[2] == "failed" and "its commit was not pushed" in first[3], first
    assert "refused for the test" in first[3]
    subjects = git(remote, "log", "--format=%s", f"striatum/{run_id}").splitlines()
    ours = [line for line in subjects if line.startswith("striatum: ")]
    assert ours == [
        f"striatum: three (attempt 1) of {run_id}",
        f"striatum: two (attempt 1) of {run_id}",
        f"striatum: one (attempt 2) of {run_id}",
    ]
    assert not any(line.startswith("Revert") for line in subjects)


def test_a_host_without_a_checkout_neither_supervises_nor_serves_the_run(
    hosts: tuple[DaemonUnderTest, DaemonUnderTest], tmp_path: Path
) -> None:
    """`supervise` through host B, which has no checkout of the run's repository, is refused
    before it touches the path (host A's), and so is a worker given a path B never adopted:
    each a conflict or not_found naming the fix, never a traceback."""
    a, b = hosts
    _, clone_a, _ = remote_with_clones(tmp_path)
    a.json("--repo", str(clone_a), "adopt")
    run_id = started_on(a, clone_a, workflow(tmp_path))
    refused = b.cli("--repo", str(tmp_path), "supervise", run_id, timeout=60)
    assert refused.returncode == 5, refused.stderr
    assert "has no checkout on this host (host-b)" in refused.stderr
    assert "adopt --join" in refused.stderr and "Traceback" not in refused.stderr
    assert not (clone_a / ".striatum" / f"supervisor-{run_id}.lock").exists()
    stray = tmp_path / "never-adopted"
    stray.mkdir()
    worker = b.cli("--repo", str(stray), "worker", "--lane", "there", timeout=60)
    assert worker.returncode == 4, worker.stderr
    assert "is not a checkout of an adopted repository on this host" in worker.stderr
    assert "Traceback" not in worker.stderr

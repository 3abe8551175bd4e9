"""Two simulated hosts for bench.crosshost: daemons on one database, clones of one remote, and
the supervisors and workers started on them, every one ended on the way out.

A host here is what `tests/e2e/test_workers.py` makes one: a daemon with its own home,
runtime directory and STRIATUM_HOST (bench.hosts starts and stops it), a clone of the shared
bare remote adopted by it (host B's joined to host A's repository: `adopt --join auto`), and
the environment its CLI runs with.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import crosshost_git, hosts
from bench.scratch import STRIATUM

HOST_A, HOST_B = "bench-host-a", "bench-host-b"
READY_TIMEOUT_S = 60.0  # for a started worker to say it serves
GRACE_S = 60.0  # for a supervisor or worker to end after SIGTERM, before SIGKILL


@dataclass(frozen=True, kw_only=True)
class Host:
    """One simulated host: its daemon's name, the environment its CLI runs with, its clone."""

    name: str
    env: dict[str, str]
    clone: Path
    remote: Path  # the bare remote both clones push to and fetch from


class Children:
    """The supervisors and workers started, each ended when asked and on the way out: SIGTERM
    (either gives its jobs back), then SIGKILL when it outstays GRACE_S."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, host: Host, argv: list[str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            child = subprocess.Popen(
                [STRIATUM, "--repo", str(host.clone), *argv],
                env=host.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.started.append(child)
        return child

    def end(self, child: subprocess.Popen[bytes]) -> int:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                return child.wait(GRACE_S)
            except subprocess.TimeoutExpired:
                child.kill()
        return child.wait()

    def end_all(self) -> None:
        for child in self.started:
            self.end(child)


def cli(host: Host, *argv: str) -> Any:
    """A verb through the host's CLI in its clone, its --json result."""
    done = subprocess.run(
        [STRIATUM, "--repo", str(host.clone), *argv, "--json"],
        env=host.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{host.name}: striatum {' '.join(argv)}: {done.stderr.strip()}")
    return json.loads(done.stdout)


@contextlib.contextmanager
def two_hosts(root: Path, url: str) -> Iterator[tuple[Host, Host]]:
    """Hosts A and B on the database at `url`, with their clones of one remote made under
    `root`; both daemons stopped on the way out, whatever happened."""
    remote, clone_a, clone_b = crosshost_git.remote_with_clones(root, ("clone-a", "clone-b"))
    with contextlib.ExitStack() as stack:
        made = []
        for name, clone in ((HOST_A, clone_a), (HOST_B, clone_b)):
            base = root / name
            stack.callback(hosts.stop_host, base, name, url)
            hosts.start_host(base, name, url)
            with hosts.pointed_at(base, name, url):
                made.append(Host(name=name, env=dict(os.environ), clone=clone, remote=remote))
        a, b = made
        cli(a, "adopt")
        if not cli(b, "adopt", "--join", "auto").get("joined"):
            raise RuntimeError(f"{b.clone} did not join {a.clone}'s repository")
        yield a, b


@contextlib.contextmanager
def serving(host: Host, lane: str, children: Children, log: Path) -> Iterator[None]:
    """`striatum worker --lane LANE` on `host`, from the moment it says it serves; ended
    after (a worker that then exits non-zero is an error)."""
    worker = children.start(host, ["worker", "--lane", lane], log)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while "serving lanes" not in log.read_text():
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker on {host.name} never served: {log.read_text()}")
            time.sleep(0.05)
        yield
    except BaseException:
        children.end(worker)
        raise
    if children.end(worker) != 0:
        raise RuntimeError(f"the worker on {host.name} ended badly: {log.read_text()}")


def supervise(host: Host, children: Children, run_id: str, log: Path, limit: float) -> str:
    """`striatum supervise --until-blocked` on `host`; how it ended: `ended` (the run did),
    `blocked` (it waits for a human: jobs out of attempts) or `stalled` (it outlasted
    `limit`: claims waiting on a catch-up that cannot succeed, say). A run left blocked or
    stalled is cancelled, so that its host's daemon does not resume it."""
    child = children.start(host, ["supervise", "--run-id", run_id, "--until-blocked"], log)
    try:
        child.wait(limit)
    except subprocess.TimeoutExpired:
        cli(host, "run", "cancel", "--run-id", run_id)
        children.end(child)
        return "stalled"
    if cli(host, "status", "--run-id", run_id)["run"]["state"] in ("running", "paused"):
        cli(host, "run", "cancel", "--run-id", run_id)
        return "blocked"
    return "ended"

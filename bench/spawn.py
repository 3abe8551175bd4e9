"""What launching one agent costs the supervisor: `true` started N times each way.

`held_ms` is how long the call (Popen, or launch) holds the supervisor, whose loop waits
that long per job; `exit_ms` is from the call until `true` has run and exited (what the
agent's start waits).
The ways: `preexec_fn`, the death signal set by a preexec_fn (CPython forks the whole
interpreter); `plain`, no death signal at all (the floor: CPython's vfork path); `setpriv`,
the death signal set by `setpriv --pdeathsig` (the vfork path and one more exec in the
child); `launch`, agent_process.launch as the supervisor calls it (its log files and pid
file included); `launch_without_setpriv`, the same where setpriv is missing, which is how
every launch went before setpriv was used. In a process with the supervisor's modules
imported: fork's cost grows with the heap it copies.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast
from unittest import mock

import striatum.lanes.supervisor  # noqa: F401 - the supervisor's heap, for fork to copy
from striatum.lanes import agent_process, death_signal
from striatum.lanes.assignment import Assignment
from striatum.lanes.profiles import Invocation
from striatum.model.packet import LaneSpec

Spawn = Callable[[Path], subprocess.Popen[bytes]]


def popen(argv: list[str], preexec_fn: Callable[[], None] | None = None) -> Spawn:
    def spawn(cwd: Path) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(os.environ),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=preexec_fn,
        )

    return spawn


def launch(cwd: Path) -> subprocess.Popen[bytes]:
    job = Assignment(
        job_id="bench",
        lane_name="bench",
        attempt=1,
        lease_id="bench",
        ttl_s=60,
        token="",
        prompt="",
        outputs=(),
        write_scope=(),
        forbidden=(),
        lane=cast(LaneSpec, {}),
        workflow_dir=None,
        artifact_root="",
    )
    return agent_process.launch(
        Invocation(argv=["true"], stdin_file=None),
        cwd=cwd,
        env=dict(os.environ),
        scratch=cwd / "scratch",
        timeout_s=60,
        assignment=job,
    ).process


def launch_without_setpriv(cwd: Path) -> subprocess.Popen[bytes]:
    with mock.patch.object(death_signal, "setpriv_path", return_value=None):
        return launch(cwd)


def ways() -> dict[str, Spawn]:
    found: dict[str, Spawn] = {
        "preexec_fn": popen(["true"], death_signal.set_in_child),
        "plain": popen(["true"]),
        "launch": launch,
        "launch_without_setpriv": launch_without_setpriv,
    }
    setpriv = death_signal.setpriv_path()
    if setpriv is not None:
        found["setpriv"] = popen([setpriv, *death_signal.SETPRIV_ARGS, "true"])
    return found


def timed(spawns: dict[str, Spawn], cwd: Path, samples: int) -> dict[str, dict[str, float]]:
    """Each way once a round, `samples` rounds: a load that comes and goes hits every way."""
    held: dict[str, list[float]] = {name: [] for name in spawns}
    done: dict[str, list[float]] = {name: [] for name in spawns}
    for _ in range(samples):
        for name, spawn in spawns.items():
            started = time.perf_counter()
            process = spawn(cwd)
            returned = time.perf_counter()
            process.wait()
            held[name].append(returned - started)
            done[name].append(time.perf_counter() - started)
    return {
        name: {
            "held_ms": ms(statistics.median(held[name])),
            "held_p90_ms": ms(statistics.quantiles(held[name], n=10)[-1]),
            "exit_ms": ms(statistics.median(done[name])),
        }
        for name in spawns
    }


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def measure(samples: int = 300) -> dict[str, Any]:
    """The launch cost of `true`, `samples` times each way (medians, p90 of held_ms)."""
    with tempfile.TemporaryDirectory(prefix="striatum-bench-spawn-") as scratch:
        (Path(scratch) / "scratch").mkdir()  # the attempt's folder, as a supervisor makes it
        results = timed(ways(), Path(scratch), max(samples, 2))
    return {
        "benchmark": "spawn",
        "samples": samples,
        "death_signal": "setpriv" if death_signal.setpriv_path() else "preexec_fn",
        **results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=300)
    print(json.dumps(measure(parser.parse_args().samples), indent=2))


if __name__ == "__main__":
    main()

"""Preflight: is each lane's program on PATH, and does it start?

Checked before a run burns attempts on an agent that cannot launch: `run prepare` warns,
`run start` refuses (when it will supervise the run here), `doctor` lists every profile's CLI.
The decisions (what to look for, what a result means) are pure; `probe` is the only I/O: a
PATH look-up and, for a provider's CLI, `<cli> --version` with stdin from /dev/null, a
minimal environment and a short timeout. A command lane's program is looked up, never run:
it may be any script, and `--version` means nothing to it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from striatum import errors
from striatum.lanes import environment
from striatum.lanes.profiles import PROFILES
from striatum.model.workflow import lane_env, placeholders

VERSION_TIMEOUT_S = 15.0


@dataclass(frozen=True, kw_only=True)
class Target:
    """What to check for one lane; `program` None: known only at launch."""

    program: str | None
    run_version: bool  # a provider's CLI answers `--version`; a command is only looked up
    fix: str | None


@dataclass(frozen=True, kw_only=True)
class Probe:
    path: str | None  # where the program was found
    version: str | None  # the first line `--version` printed
    problem: str | None


@dataclass(frozen=True, kw_only=True)
class LaneCheck:
    lane: str
    provider: str
    program: str | None
    path: str | None
    version: str | None
    ok: bool
    problem: str | None
    fix: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def target(lane: Mapping[str, Any], *, workflow_dir: str | None, repo: str | None) -> Target:
    """Pure. A provider's CLI by name; a command lane's argv[0] once `{workflow_dir}` (the
    only placeholder known before launch) is filled. A relative path resolves against the
    repository, as the supervisor runs agents from the run's worktree (a checkout of it)."""
    provider = str(lane.get("provider"))
    profile = PROFILES.get(provider)
    if profile is not None:
        return Target(program=profile.executable, run_version=True, fix=profile.install_hint)
    command = lane.get("command") or []
    first = str(command[0]) if command else ""
    named = placeholders.used(first)
    if not first or named - {"workflow_dir"} or (named and workflow_dir is None):
        return Target(program=None, run_version=False, fix=None)
    program = placeholders.fill(first, {"workflow_dir": workflow_dir or ""})
    if "/" in program and not os.path.isabs(program) and repo is not None:
        program = os.path.join(repo, program)
    return Target(
        program=program,
        run_version=False,
        fix=f"install `{os.path.basename(program)}` or fix the lane's command",
    )


def check_lanes(
    lanes: Mapping[str, Mapping[str, Any]],
    *,
    workflow_dir: str | None,
    repo: str | None,
    search_path: str | None = None,
    timeout_s: float = VERSION_TIMEOUT_S,
) -> list[LaneCheck]:
    """Every lane, each program probed once. `search_path`: the caller's PATH (default:
    this process's), the one a supervisor started from here would hand its agents, unless
    the lane's `env` sets its own PATH. A `${VAR}` of the lane's env that is unset here
    would fail every job at launch, so it is reported too."""
    found_path = os.environ.get("PATH", os.defpath) if search_path is None else search_path
    probes: dict[tuple[str, bool, str], Probe] = {}
    checks = []
    for name, lane in lanes.items():
        aim = target(lane, workflow_dir=workflow_dir, repo=repo)
        declared, missing = lane_env.resolve(lane.get("env") or {}, os.environ)
        if missing:
            checks.append(
                decide(
                    name,
                    lane,
                    replace(aim, fix="export them before starting the run"),
                    Probe(
                        path=None,
                        version=None,
                        problem=f"the lane's env refers to unset {', '.join(missing)}",
                    ),
                )
            )
            continue
        if aim.program is None:
            checks.append(decide(name, lane, aim, None))
            continue
        lane_path = declared.get("PATH", found_path)
        key = (aim.program, aim.run_version, lane_path)
        if key not in probes:
            probes[key] = probe(
                aim.program, search_path=lane_path, run_version=aim.run_version, timeout_s=timeout_s
            )
        checks.append(decide(name, lane, aim, probes[key]))
    return [*checks, *sandbox_checks(lanes)]


def sandbox_warning(lanes: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The warning for lanes that will run unsandboxed only because no sandbox can be made
    here (docs/SPEC.md §10), or None: `run prepare`, `run start` and the supervisor say it."""
    from striatum.lanes import sandbox

    if all(lane.get("sandbox") for lane in lanes.values()):
        return None  # every lane says what it wants: nothing to probe
    names = sandbox.unsandboxed(lanes, sandbox.mechanism() is not None)
    return sandbox.unsandboxed_warning(names) if names else None


def sandbox_checks(lanes: Mapping[str, Mapping[str, Any]]) -> list[LaneCheck]:
    """A failing check per lane that names a sandbox this machine cannot make (its agents
    would all fail at launch); bubblewrap is probed only when a lane names one."""
    from striatum.lanes import sandbox

    asking = {
        name: lane
        for name, lane in lanes.items()
        if lane.get("sandbox") not in (None, sandbox.NONE)
    }
    if not asking or sandbox.mechanism() is not None:
        return []
    return [
        LaneCheck(
            lane=name,
            provider=str(lane.get("provider")),
            program=None,
            path=None,
            version=None,
            ok=False,
            problem=f"it asks for sandbox {lane['sandbox']}, and {sandbox.UNAVAILABLE}",
            fix=sandbox.FIX,
        )
        for name, lane in asking.items()
    ]


def decide(name: str, lane: Mapping[str, Any], aim: Target, found: Probe | None) -> LaneCheck:
    """Pure: one lane's verdict from its probe (None: nothing could be checked, so ok)."""
    fix = aim.fix if found is not None and found.problem else None
    return LaneCheck(
        lane=name,
        provider=str(lane.get("provider")),
        program=aim.program,
        path=found.path if found else None,
        version=found.version if found else None,
        ok=found is None or found.problem is None,
        problem=found.problem if found else None,
        fix=fix,
    )


def warnings(checks: list[LaneCheck]) -> list[dict[str, str]]:
    """Pure: `run prepare` warnings, shaped like the workflow's own."""
    return [
        {
            "path": f"$.lanes.{c.lane}",
            "severity": "warning",
            "message": f"{c.problem} (fix: {c.fix})" if c.fix else str(c.problem),
        }
        for c in checks
        if not c.ok
    ]


def refusal(checks: list[LaneCheck]) -> errors.AgentUnavailable | None:
    """Pure: the error `run start` raises, naming every lane that cannot launch."""
    bad = [c for c in checks if not c.ok]
    if not bad:
        return None
    fixes = list(dict.fromkeys(c.fix for c in bad if c.fix))
    return errors.AgentUnavailable(
        "cannot start the run's agents: " + "; ".join(f"lane {c.lane}: {c.problem}" for c in bad),
        hint="; ".join(fixes) + " (or start with --no-supervise and drive it yourself)",
        lanes=[c.to_dict() for c in bad],
    )


def probe(
    program: str, *, search_path: str, run_version: bool, timeout_s: float = VERSION_TIMEOUT_S
) -> Probe:
    """Look `program` up on `search_path` (a path: check it), then ask `--version`."""
    if "/" in program:
        if not os.path.exists(program):
            return Probe(path=None, version=None, problem=f"`{program}` does not exist")
        if os.path.isdir(program) or not os.access(program, os.X_OK):
            return Probe(path=program, version=None, problem=f"`{program}` is not executable")
        path = program
    else:
        looked_up = shutil.which(program, path=search_path)
        if looked_up is None:
            return Probe(path=None, version=None, problem=f"`{program}` is not on PATH")
        path = looked_up
    if not run_version:
        return Probe(path=path, version=None, problem=None)
    return _ask_version(program, path, search_path, timeout_s)


def _ask_version(program: str, path: str, search_path: str, timeout_s: float) -> Probe:
    env = {k: v for k, v in os.environ.items() if environment.wanted(k, ())}
    env["PATH"] = search_path
    try:
        process = subprocess.Popen(
            [path, "--version"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
    except OSError as error:
        return Probe(
            path=path, version=None, problem=f"`{program}` cannot start: {error.strerror or error}"
        )
    try:
        out, err = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):  # its children too (node spawns)
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return Probe(
            path=path,
            version=None,
            problem=f"`{program} --version` did not answer within {timeout_s:g} s",
        )
    if process.returncode != 0:
        said = _first_line(err) or _first_line(out)
        return Probe(
            path=path,
            version=None,
            problem=f"`{program} --version` exited "
            f"{process.returncode}" + (f": {said}" if said else ""),
        )
    return Probe(path=path, version=_first_line(out) or _first_line(err), problem=None)


def _first_line(data: bytes) -> str:
    """The first non-blank line, printable characters only (a CLI's text is untrusted)."""
    for line in data.decode("utf-8", errors="replace").splitlines():
        clean = "".join(ch for ch in line if ch.isprintable()).strip()
        if clean:
            return clean[:200]
    return ""

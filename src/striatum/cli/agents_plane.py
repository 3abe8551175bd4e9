"""`doctor`'s agents plane: each profile's CLI on PATH, answering `--version`, configured, and
for an adopted profile, the MCP server command its project file registers found on PATH.

A profile is *needed* when the repository was adopted for it (`adopt --profile` registered
the `striatum` MCP server in that agent's project file) or when a lane of an active run
(prepared, running, paused) uses it; only a needed profile that is not ready fails the plane.
The others are listed for information.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from striatum import errors

if TYPE_CHECKING:
    from striatum.lanes.credentials import Setup
    from striatum.lanes.preflight import Probe

EXIT_AGENTS = errors.EXIT_CODES["agent_unavailable"]
MAX_RUNS = 50  # active runs whose lanes are read; more is a listing, not a doctor's job


def gather(
    project: Path | None,
    call: Callable[[str, dict[str, Any]], Any] | None,
    env: Mapping[str, str] | None = None,
) -> tuple[bool, list[dict[str, Any]]]:
    """(ok, checks). `call`: the daemon, or None when it is not reachable."""
    from striatum.lanes import credentials, preflight
    from striatum.lanes.profiles import PROFILES

    source = os.environ if env is None else env
    search_path = source.get("PATH", os.defpath)
    adopted_for = adopted(project) if project else set()
    lanes = active_lanes(call) if call else []
    needs = needed(adopted_for, used_by(lanes))
    checks = [sandbox_check(*_sandbox_found(), asked_by(lanes))]
    for name, profile in PROFILES.items():
        found = preflight.probe(profile.executable, run_version=True, search_path=search_path)
        setup = credentials.configured(name, source, Path(source.get("HOME") or Path.home()))
        checks.append(check(name, found, setup, needs.get(name), profile.install_hint))
    if project is not None:
        checks += mcp_commands(project, adopted_for, search_path)
    return all(c["ok"] for c in checks), checks


def mcp_commands(project: Path, profiles: set[str], search_path: str) -> list[dict[str, Any]]:
    """For each adopted profile, whether PATH finds the command its project file registers
    for Striatum's MCP server (a moved environment, or a teammate's clone, may not)."""
    from striatum.mcp import registration

    out = []
    for name in sorted(profiles):
        command = registration.registered_command(name, project)
        if command is not None:
            found = shutil.which(command, path=search_path)
            out.append(mcp_check(name, registration.PROJECT_FILES[name], command, found))
    return out


def mcp_check(name: str, config: str, command: str, found: str | None) -> dict[str, Any]:
    """Pure: one adopted profile's MCP server command, found on PATH (at `found`) or not."""
    runs = f"{config} runs `{command} mcp serve`"
    return {
        "check": f"{name} MCP server",
        "ok": found is not None,
        "ready": found is not None,
        "needed": True,
        "detail": f"{runs} ({found})"
        if found
        else f"{runs}, which is not on PATH: the agent cannot start Striatum's tools",
        "fix": None
        if found
        else f"striatum adopt --profile {name} (registers this installation's striatum), "
        "or put striatum on PATH",
        "path": found,
    }


def check(
    name: str, found: Probe, setup: Setup, needed_by: str | None, install_hint: str
) -> dict[str, Any]:
    """Pure: one profile's check, with its `--version` answer and configuration."""
    ready = found.problem is None and setup.ok
    detail = found.problem or f"{found.version}; {'configured: ' if setup.ok else ''}{setup.detail}"
    detail += f" (needed: {needed_by})" if needed_by else " (not needed here)"
    fix = (
        install_hint
        if found.problem
        else None
        if setup.ok
        else "sign in with the CLI, or set its API key variable (docs/SPEC.md §12)"
    )
    return {
        "check": name,
        "ok": ready or needed_by is None,
        "ready": ready,
        "needed": needed_by is not None,
        "detail": detail,
        "fix": fix,
        "path": found.path,
        "version": found.version,
        "configured": setup.ok,
    }


def needed(adopted_for: set[str], runs: dict[str, str]) -> dict[str, str]:
    """Pure: profile -> why it is needed ("adopted", "run run_…")."""
    from striatum.lanes.profiles import PROFILES

    return {
        name: ", ".join(
            why for why in ("adopted" if name in adopted_for else None, runs.get(name)) if why
        )
        for name in PROFILES
        if name in adopted_for or name in runs
    }


def adopted(project: Path) -> set[str]:
    """The profiles whose project file names the `striatum` MCP server."""
    from striatum.mcp import registration

    return {
        name for name in registration.PROJECT_FILES if registration.named_in_project(name, project)
    }


def active_lanes(call: Callable[[str, dict[str, Any]], Any]) -> list[tuple[str, dict[str, Any]]]:
    """(run id, lane) of each lane of the active runs (prepared, running, paused)."""
    found: list[tuple[str, dict[str, Any]]] = []
    try:
        active = call("status", {})["active_runs"][:MAX_RUNS]
        for run in active:
            lanes = call("status", {"run_id": run["run_id"], "jobs": "moving"})["lanes"]
            found += [(run["run_id"], lane) for lane in lanes.values()]
    except errors.StriatumError:
        pass  # the daemon's own plane says why; list what was learnt
    return found


def used_by(lanes: list[tuple[str, dict[str, Any]]]) -> dict[str, str]:
    """Pure: profile -> the first active run whose lanes use it."""
    from striatum.lanes.profiles import PROFILES

    used: dict[str, str] = {}
    for run_id, lane in lanes:
        if lane.get("provider") in PROFILES:
            used.setdefault(lane["provider"], f"run {run_id}")
    return used


def asked_by(lanes: list[tuple[str, dict[str, Any]]]) -> str | None:
    """Pure: the first active run with a lane that names a sandbox (it cannot run without)."""
    return next(
        (f"run {run_id}" for run_id, lane in lanes if lane.get("sandbox") not in (None, "none")),
        None,
    )


def _sandbox_found() -> tuple[str | None, str | None]:
    from striatum.lanes import sandbox

    bwrap = sandbox.mechanism()
    return bwrap, None if bwrap is None else sandbox.version(bwrap)


def sandbox_check(bwrap: str | None, version: str | None, asked: str | None) -> dict[str, Any]:
    """Pure: the lane sandbox's mechanism here (docs/SPEC.md §10). Where there is none, lanes
    that name no sandbox run without one (a warning); a lane that names one cannot run (a
    problem, when an active run has one)."""
    from striatum.lanes import sandbox

    if bwrap is not None:
        detail = (
            f"bubblewrap ({version or 'version unknown'}, {bwrap}): lanes run in `standard` "
            'unless they say "sandbox": "none"'
        )
    else:
        detail = f"none: {sandbox.UNAVAILABLE}; lanes that name no sandbox run without one"
        detail += f" (needed: {asked})" if asked else ""
    return {
        "check": "lane sandbox",
        "ok": bwrap is not None or asked is None,
        "ready": bwrap is not None,
        "warn": bwrap is None,
        "needed": asked is not None,
        "detail": detail,
        "fix": None if bwrap is not None else sandbox.FIX,
        "path": bwrap,
        "version": version,
    }


def lines(plane: dict[str, Any]) -> list[str]:
    """At most 80 columns: `ok` ready, `BAD` needed and not ready, `!` a warning (no lane
    sandbox here), `-` not needed here."""
    out = [f"agents: {'ok' if plane['ok'] else 'PROBLEM'}"]
    for item in plane["checks"]:
        out += textwrap.wrap(
            f"{_mark(item)}  {item['check']}: {item['detail']}",
            80,
            initial_indent="  ",
            subsequent_indent=" " * 7,
        )
        if (not item["ok"] or item.get("warn")) and item.get("fix"):
            out += textwrap.wrap(
                f"fix: {item['fix']}", 80, initial_indent=" " * 8, subsequent_indent=" " * 10
            )
    return out


def _mark(item: dict[str, Any]) -> str:
    if item["ready"]:
        return "ok "
    if not item["ok"]:
        return "BAD"
    return " ! " if item.get("warn") else " - "

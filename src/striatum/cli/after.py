"""What the CLI does on this machine before some verbs are sent and after they succeed."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from striatum import errors

if TYPE_CHECKING:
    from striatum.mcp.registration import Registration


def adopt_profile(result: dict[str, Any], local: dict[str, Any]) -> dict[str, Any] | None:
    """`adopt --profile`: this repository's skills, and what each agent CLI needs to use the
    MCP server headless. Each step is idempotent, so adopting twice changes nothing; `steps`
    lists what only the user may do (trusting the project in a user-wide config)."""
    profile = local.get("profile")
    if not profile:
        return None
    from striatum.mcp import registration
    from striatum.skills import install

    repo = Path(result["path"])
    skills = install.install(profile, repo)
    mcp = [registration.register(name, repo) for name in install.profiles_of(profile)]
    shown = [{key: value for key, value in entry.items() if key != "steps"} for entry in mcp]
    return {
        **result,
        "profile": profile,
        "skills": skills["directories"],
        "mcp": shown,
        "done": _summary(result, skills["directories"], mcp),
        "steps": [step for entry in mcp for step in entry["steps"]],
    }


def _summary(
    result: dict[str, Any], skills: list[dict[str, Any]], mcp: list[Registration]
) -> list[str]:
    done = [
        (
            "added .striatum/ to .gitignore"
            if result.get("gitignore_updated")
            else ".striatum/ already in .gitignore"
        )
    ]
    for entry in skills:
        done.append(
            f"skills {'written' if entry['changed'] else 'already current'}: {entry['directory']}"
        )
    for agent in mcp:
        files = ", ".join(str(Path(f).relative_to(result["path"])) for f in agent["files"])
        done.append(f"MCP server for {agent['agent']}: {agent['how']} ({files})")
    return done


def start_supervisor(result: dict[str, Any], local: dict[str, Any]) -> None:
    """`run start` launches a background supervisor for the run unless --no-supervise (or
    launches one again for a running run whose supervisor is gone), keeping the environment
    it needs for the daemon to resume the run with (`lanes.supervisor_env`)."""
    if not result.get("supervise") or result.get("state") != "running":
        return
    from striatum.cli.agent_checks import run_status
    from striatum.lanes import preflight, supervisor_env, supervisor_launch

    run_id, repo = result["run_id"], Path(result["repo"])
    env = dict(os.environ)
    try:
        lanes = run_status(run_id, local)["lanes"]
        unsandboxed = preflight.sandbox_warning(lanes)
        if unsandboxed:  # wrapped: it is read in a terminal, perhaps 80 columns wide
            said = textwrap.fill(f"striatum: warning: {unsandboxed}", 80, subsequent_indent="  ")
            sys.stderr.write(said + "\n")
        kept = supervisor_env.save(run_id, supervisor_env.kept(env, lanes))
    except (errors.StriatumError, OSError) as error:  # the run starts all the same
        sys.stderr.write(f"striatum: the supervisor's environment was not kept: {error}\n")
    else:
        # A path is pasted, not read: on a line of its own, whole, at any width.
        sys.stderr.write(f"striatum: kept the supervisor's environment in\n  {kept}\n")
    if local.get("caller_token"):  # an MCP caller over HTTP: never lend the server's token
        env["STRIATUM_TOKEN"] = local["caller_token"]
    process = supervisor_launch.launch(run_id, repo, env)
    log = supervisor_launch.log_file(repo, run_id)
    sys.stderr.write(f"striatum: supervisor started (pid {process.pid}); its log:\n  {log}\n")


def check_prepare_flags(params: dict[str, Any], local: dict[str, Any]) -> None:
    """Before `run prepare`: --no-supervise says how to start, so it needs --start."""
    if local.get("no_supervise") and not local.get("start"):
        raise errors.UsageError(
            "--no-supervise goes with --start",
            hint="striatum run prepare --workflow FILE --start --no-supervise",
        )


def prepare_then_start(result: dict[str, Any], local: dict[str, Any]) -> dict[str, Any]:
    """After `run prepare`: the preflight's warnings; with --start, the run started as
    `run start RUN` would start it (its own checks and supervisor), one answer for both."""
    from striatum.cli.agent_checks import warn_on_prepare

    prepared = warn_on_prepare(result, local) or result
    if not local.get("start"):
        return prepared
    run_id = prepared["run_id"]
    sys.stderr.write(f"striatum: prepared {run_id}; starting it\n")
    try:
        started = _start(run_id, local)
    except errors.StriatumError as error:  # the run is there all the same: say how to go on
        again = f"the run is prepared: striatum run start {run_id}"
        error.hint = f"{error.hint}; {again}" if error.hint else again
        raise
    return {**prepared, **started, "started": True}


def _start(run_id: str, local: dict[str, Any]) -> dict[str, Any]:
    from striatum.cli.verb_index import VERBS
    from striatum.client.call_spec import CallSpec
    from striatum.client.invoke import invoke

    start = CallSpec(next(row for row in VERBS if row[0] == "run.start"))
    params: dict[str, Any] = {"run_id": run_id}
    if local.get("no_supervise"):
        params["no_supervise"] = True
    started: dict[str, Any] = invoke(
        start, params, as_role=local.get("caller_role"), token=local.get("caller_token")
    )
    return started

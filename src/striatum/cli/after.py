"""What the CLI does on this machine before some verbs are sent and after they succeed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    """`run start` launches a background supervisor for the run unless --no-supervise."""
    if local.get("no_supervise") or result.get("state") != "running":
        return
    scratch = Path(result["repo"]) / ".striatum"
    scratch.mkdir(parents=True, exist_ok=True)
    log = scratch / f"supervisor-{result['run_id']}.log"
    beside = Path(sys.executable).parent / "striatum"
    command = [
        str(beside) if beside.exists() else "striatum",
        "supervise",
        "--run-id",
        result["run_id"],
    ]
    from striatum.lanes import markers

    env = markers.unmarked(dict(os.environ))
    if local.get("caller_token"):  # an MCP caller over HTTP: never lend the server's token
        env["STRIATUM_TOKEN"] = local["caller_token"]
    with open(log, "ab") as handle:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=handle,
            start_new_session=True,
            close_fds=True,
            env=env,
        )
    sys.stderr.write(f"striatum: supervisor started (pid {process.pid}); log: {log}\n")

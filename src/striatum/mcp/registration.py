"""Registering `striatum mcp serve` with an agent CLI in the project's own files, so that the
CLI can use Striatum's tools headless (for `adopt --profile`).

What each CLI needs (verified against Claude Code 2.1.197, Codex 0.169, Gemini CLI 0.61):

- Claude Code: the server in `.mcp.json` (`claude -p` loads it without the approval prompt) and,
  in `.claude/settings.local.json`, `permissions.allow: ["mcp__striatum"]` (else `-p` refuses
  every call) and `enabledMcpjsonServers: ["striatum"]` (approved for interactive sessions and
  `claude mcp list`). `.claude/settings.json` would not do: Claude ignores its permissions in a
  workspace whose trust dialog was never accepted.
- Codex: `[mcp_servers.striatum]` in `.codex/config.toml` with `default_tools_approval_mode =
  "approve"` (else every call is refused under `codex exec`) and `required = true` (else a
  session may start before the server is up and never see its tools); Codex reads the file only once
  the project is trusted, which is the user's step (see `agent_trust`).
- Gemini CLI: the server in `.gemini/settings.json` with `"trust": true` (else headless runs
  are not offered its tools); the folder must be trusted, the user's step again.

These files are written directly, never through `claude mcp add` / `gemini mcp add`, so the
result is the same whichever CLIs are installed. The server's command is plain `striatum`
when PATH finds this installation's own, else its absolute path (`server_command`); doctor's
agents plane fails an adopted agent whose registered command PATH does not find. An existing
`striatum` entry that runs `striatum mcp serve` (by any path) is Striatum's own and is brought
to the current shape (the user's extra keys kept); any other `striatum` entry is the user's
and is left alone, with a step saying what it lacks. No token is written: Codex and Gemini
CLI pass the agent's `STRIATUM_*` variables to the server only when the entry names them, so
theirs does.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any, TypedDict

from striatum import errors
from striatum.mcp import agent_trust, config_files, toml_table
from striatum.mcp.toml_table import toml_string as toml_string

SERVER = "striatum"
CLAUDE_RULE = f"mcp__{SERVER}"
PASSED_THROUGH = (
    "STRIATUM_TOKEN",
    "STRIATUM_LEASE",
    "STRIATUM_RUN_ID",
    "STRIATUM_JOB_ID",
    "STRIATUM_HOME",
    "STRIATUM_RUNTIME_DIR",
)


class Registration(TypedDict):
    """One agent's outcome: `how` is written, upgraded, already current or left alone."""

    agent: str
    changed: bool
    how: str
    files: list[str]
    steps: list[str]


def server_command(search_path: str | None = None) -> list[str]:
    """Plain `striatum` when PATH finds this installation's own (the files then survive the
    environment moving and suit a teammate's clone), else this installation's absolute path.
    `search_path`: the PATH to look in (default: this process's)."""
    beside = Path(sys.executable).parent / "striatum"
    if not beside.exists():
        return [SERVER, "mcp", "serve"]
    on_path = shutil.which(SERVER, path=search_path)
    same = on_path is not None and os.path.samefile(on_path, beside)
    return [SERVER if same else str(beside), "mcp", "serve"]


def register(profile: str, repo: Path) -> Registration:
    """Write what `profile`'s CLI needs into `repo`; idempotent."""
    return {"claude_code": _claude, "codex": _codex, "gemini": _gemini}[profile](repo)


PROJECT_FILES = {
    "claude_code": ".mcp.json",
    "codex": ".codex/config.toml",
    "gemini": ".gemini/settings.json",
}


def named_in_project(profile: str, repo: Path) -> bool:
    """Whether the agent's project file names the `striatum` server (an unreadable file
    does not): the repository was adopted for that agent."""
    return SERVER in _project_servers(profile, repo)


def registered_command(profile: str, repo: Path) -> str | None:
    """The command of Striatum's own server entry in the agent's project file; None when
    there is none (or the entry is the user's own)."""
    entry = _project_servers(profile, repo).get(SERVER)
    return str(entry["command"]) if isinstance(entry, dict) and is_ours(entry) else None


def _project_servers(profile: str, repo: Path) -> dict[str, Any]:
    config = repo / PROJECT_FILES[profile]
    try:
        if profile == "codex":
            data = config_files.read_toml(config_files.read_text(config), config)
        else:
            data = config_files.read_json(config)
        return config_files.table(
            config, data, "mcp_servers" if profile == "codex" else "mcpServers"
        )
    except errors.ValidationError:
        return {}


def is_ours(entry: Any) -> bool:
    """A server entry Striatum wrote (or one that runs Striatum's stdio server the same way)."""
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("command"), str)
        and Path(entry["command"]).name == "striatum"
        and entry.get("args") == ["mcp", "serve"]
    )


def merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """`new` over `old`, keeping the user's own keys, env entries and list items."""
    out = dict(old)
    for key, value in new.items():
        before = old.get(key)
        if isinstance(value, dict) and isinstance(before, dict):
            value = {**before, **value}
        elif isinstance(value, list) and isinstance(before, list):
            value = [*before, *(item for item in value if item not in before)]
        out[key] = value
    return out


def _claude(repo: Path) -> Registration:
    command, *args = server_command()
    mcp = repo / ".mcp.json"
    settings = repo / ".claude" / "settings.local.json"
    entry = {"type": "stdio", "command": command, "args": args, "env": {}}
    how = _set_json_server(mcp, entry)
    if how == "left alone":
        return _left_alone(
            "claude_code",
            mcp,
            "Claude Code: .mcp.json has your own `striatum` "
            f"server, left as it is; run headless with --allowedTools {CLAUDE_RULE}",
        )
    local = config_files.read_json(settings)
    permissions = merged(
        config_files.table(settings, local, "permissions"), {"allow": [CLAUDE_RULE]}
    )
    wanted = merged(local, {"permissions": permissions, "enabledMcpjsonServers": [SERVER]})
    if wanted != local:
        config_files.write_json(settings, wanted)
        how = "upgraded" if how == "already current" else how
    return _done("claude_code", how, [mcp, settings], [])


def _codex(repo: Path) -> Registration:
    command, *args = server_command()
    config = repo / ".codex" / "config.toml"
    text = config_files.read_text(config)
    servers = config_files.table(config, config_files.read_toml(text, config), "mcp_servers")
    old = servers.get(SERVER)
    if old is not None and not is_ours(old):
        return _left_alone(
            "codex",
            config,
            "Codex: .codex/config.toml has your own "
            f"[mcp_servers.{SERVER}], left as it is; for `codex exec` it needs "
            'default_tools_approval_mode = "approve" and required = true',
        )
    values: dict[str, toml_table.TomlValue] = {
        "command": command,
        "args": args,
        "env_vars": merged(old or {}, {"env_vars": list(PASSED_THROUGH)})["env_vars"],
        "default_tools_approval_mode": "approve",
        # Codex 0.169 does not wait for an optional server: a turn that starts before the
        # server answers is offered none of its tools (the call fails "unsupported call").
        "required": True,
    }
    try:
        edited = toml_table.set_keys(text, ("mcp_servers", SERVER), values)
    except toml_table.Unsupported as why:
        raise errors.ValidationError(
            f"{config}: cannot set [mcp_servers.{SERVER}] in it as written ({why}); add the "
            "server yourself",
            path=str(config),
        ) from None
    how = _how(old, changed=edited != text)
    if edited != text:
        config_files.replace(config, edited)
    return _done("codex", how, [config], _steps(agent_trust.codex_step(repo)))


def _gemini(repo: Path) -> Registration:
    command, *args = server_command()
    config = repo / ".gemini" / "settings.json"
    entry = {
        "command": command,
        "args": args,
        "env": {name: f"${name}" for name in PASSED_THROUGH},
        "trust": True,
    }
    how = _set_json_server(config, entry)
    if how == "left alone":
        return _left_alone(
            "gemini",
            config,
            "Gemini CLI: .gemini/settings.json has your own "
            f'`{SERVER}` server, left as it is; headless runs need "trust": '
            "true on it (or --yolo)",
        )
    return _done("gemini", how, [config], _steps(agent_trust.gemini_step(repo)))


def _set_json_server(config: Path, entry: dict[str, Any]) -> str:
    """Put Striatum's entry under `mcpServers` unless a user's entry holds the name."""
    data = config_files.read_json(config)
    servers = config_files.table(config, data, "mcpServers")
    old = servers.get(SERVER)
    if old is not None and not is_ours(old):
        return "left alone"
    wanted = merged(old or {}, entry)
    if wanted != old:
        data["mcpServers"] = {**servers, SERVER: wanted}
        config_files.write_json(config, data)
    return _how(old, changed=wanted != old)


def _how(old: Any, *, changed: bool) -> str:
    if old is None:
        return "written"
    return "upgraded" if changed else "already current"


def _steps(step: str | None) -> list[str]:
    return [] if step is None else [step]


def _done(agent: str, how: str, files: list[Path], steps: list[str]) -> Registration:
    return {
        "agent": agent,
        "changed": how in ("written", "upgraded"),
        "how": how,
        "files": [str(path) for path in files],
        "steps": steps,
    }


def _left_alone(agent: str, config: Path, step: str) -> Registration:
    return _done(agent, "left alone", [config], [step])

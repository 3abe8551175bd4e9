"""Registering `striatum mcp serve` with an agent CLI, project-scoped (for `adopt --profile`).

Claude Code and Gemini CLI: through the vendor's own CLI when it is on PATH (`claude mcp add
--scope project`, `gemini mcp add --scope project`), else by writing the project file that CLI
would write (`.mcp.json`, `.gemini/settings.json`). Codex: always its project file
`.codex/config.toml` (read for trusted projects), since `codex mcp add` writes the user-wide
config. An existing `striatum` entry is left as it is, so adopting twice changes nothing.

No token is written anywhere. The server must see the agent's own `STRIATUM_*` variables,
though (inside a supervised lane: the lane token); Codex and Gemini CLI do not pass a
variable named like a token to MCP servers unless the entry says so, so theirs does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from striatum import errors

SERVER = "striatum"
PROJECT_FILES = {"claude_code": ".mcp.json", "codex": ".codex/config.toml",
                 "gemini": ".gemini/settings.json"}
VENDOR_CLIS = {"claude_code": "claude", "gemini": "gemini"}  # codex: the project file
PASSED_THROUGH = ("STRIATUM_TOKEN", "STRIATUM_LEASE", "STRIATUM_RUN_ID", "STRIATUM_JOB_ID",
                  "STRIATUM_HOME", "STRIATUM_RUNTIME_DIR")


def server_command() -> list[str]:
    beside = Path(sys.executable).parent / "striatum"
    return [str(beside) if beside.exists() else "striatum", "mcp", "serve"]


def register(profile: str, repo: Path) -> dict[str, Any]:
    """One agent: what was done (`changed` false when it was registered already)."""
    vendor = shutil.which(VENDOR_CLIS[profile]) if profile in VENDOR_CLIS else None
    config = repo / PROJECT_FILES[profile]
    if _in_project_file(profile, config) or (vendor and _vendor_knows(profile, vendor, repo)):
        return {"agent": profile, "changed": False, "how": "already registered",
                "file": str(config)}
    if vendor:
        command = add_command(profile, vendor)
        _run(command, repo)
        return {"agent": profile, "changed": True, "how": "vendor CLI", "command": command}
    _write_project_file(profile, config)
    return {"agent": profile, "changed": True, "how": "wrote project file", "file": str(config)}


def add_command(profile: str, vendor: str) -> list[str]:
    serve = server_command()
    if profile == "claude_code":  # Claude Code hands its environment to stdio servers
        return [vendor, "mcp", "add", "--scope", "project", SERVER, "--", *serve]
    passed = [flag for name in PASSED_THROUGH for flag in ("-e", f"{name}=${name}")]
    return [vendor, "mcp", "add", "--scope", "project", *passed, SERVER, *serve]


def _vendor_knows(profile: str, vendor: str, repo: Path) -> bool:
    if profile == "gemini":  # gemini has no `mcp get`; its project scope is the file above
        return False
    try:
        result = subprocess.run([vendor, "mcp", "get", SERVER], cwd=repo, capture_output=True,
                                text=True, timeout=60, check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def _run(command: list[str], repo: Path) -> None:
    try:
        result = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=120,
                                check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise errors.Conflict(f"`{' '.join(command)}` could not run: {error}") from None
    if result.returncode != 0:
        raise errors.Conflict(f"`{' '.join(command)}` failed (exit {result.returncode}): "
                              f"{(result.stderr or result.stdout).strip()[:500]}")


def named_in_project(profile: str, repo: Path) -> bool:
    """Whether the agent's project file names the `striatum` server (an unreadable file
    does not)."""
    try:
        return _in_project_file(profile, repo / PROJECT_FILES[profile])
    except errors.ValidationError:
        return False


def _in_project_file(profile: str, config: Path) -> bool:
    data = _read(profile, config)
    table = data.get("mcp_servers" if profile == "codex" else "mcpServers")
    return isinstance(table, dict) and SERVER in table


def _read(profile: str, config: Path) -> dict[str, Any]:
    if not config.exists():
        return {}
    try:
        text = config.read_text("utf-8")
        data = tomllib.loads(text) if profile == "codex" else json.loads(text or "{}")
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise errors.ValidationError(f"{config}: cannot read it ({error}); fix or move it, "
                                     "then adopt again", path=str(config)) from None
    if not isinstance(data, dict):
        raise errors.ValidationError(f"{config}: expected an object at the top level",
                                     path=str(config))
    return data


def _write_project_file(profile: str, config: Path) -> None:
    if profile == "codex":
        _append_codex_table(config)
        return
    command, *args = server_command()
    data = _read(profile, config)
    if not isinstance(data.get("mcpServers", {}), dict):
        raise errors.ValidationError(f"{config}: mcpServers is not an object", path=str(config))
    entry: dict[str, Any] = {"command": command, "args": args}
    if profile == "claude_code":
        entry = {"type": "stdio", **entry, "env": {}}
    else:
        entry["env"] = {name: f"${name}" for name in PASSED_THROUGH}
    data.setdefault("mcpServers", {})[SERVER] = entry
    config.parent.mkdir(parents=True, exist_ok=True)
    _replace(config, json.dumps(data, indent=2) + "\n")


def _append_codex_table(config: Path) -> None:
    """Append a table (keeping the user's comments and layout), then check the whole file
    still parses to what we meant; refuse rather than leave Codex a broken config."""
    command, *args = server_command()
    existing = config.read_text("utf-8") if config.exists() else ""
    table = (f"\n[mcp_servers.{SERVER}]\ncommand = {toml_string(command)}\n"
             f"args = [{', '.join(map(toml_string, args))}]\n"
             f"env_vars = [{', '.join(map(toml_string, PASSED_THROUGH))}]\n")
    text = existing.rstrip("\n") + ("\n" if existing else "") + table
    try:
        ours = tomllib.loads(text)["mcp_servers"][SERVER]
    except (ValueError, KeyError, TypeError):
        raise errors.ValidationError(
            f"{config}: cannot add [mcp_servers.{SERVER}] to it as written (an inline "
            "mcp_servers table?); add the server yourself", path=str(config)) from None
    if ours.get("command") != command or ours.get("args") != args:
        raise errors.ValidationError(f"{config}: the appended table does not read back",
                                     path=str(config))
    config.parent.mkdir(parents=True, exist_ok=True)
    _replace(config, text)


def toml_string(value: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, plus DEL, which JSON leaves raw."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _replace(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        temporary.write_text(text, "utf-8")
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise errors.StorageError(f"cannot write {path}: {error.strerror or error}",
                                  path=str(path)) from None

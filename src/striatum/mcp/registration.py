"""Registering `striatum mcp serve` with an agent CLI, project-scoped (for `adopt --profile`).

Through the vendor's own CLI when it is on PATH, else by writing the project file that CLI
would write: `.mcp.json` (Claude Code), `.codex/config.toml` (Codex), `.gemini/settings.json`
(Gemini CLI). An existing `striatum` entry is left as it is, so adopting twice changes
nothing. No token is written anywhere: the server uses the caller's token at run time.
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
VENDOR_CLIS = {"claude_code": "claude", "codex": "codex", "gemini": "gemini"}


def server_command() -> list[str]:
    beside = Path(sys.executable).parent / "striatum"
    return [str(beside) if beside.exists() else "striatum", "mcp", "serve"]


def register(profile: str, repo: Path) -> dict[str, Any]:
    """One agent: what was done (`changed` false when it was registered already)."""
    vendor = shutil.which(VENDOR_CLIS[profile])
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
    if profile == "claude_code":
        return [vendor, "mcp", "add", "--scope", "project", SERVER, "--", *serve]
    if profile == "codex":
        return [vendor, "mcp", "add", SERVER, "--", *serve]
    return [vendor, "mcp", "add", "--scope", "project", SERVER, *serve]


def _vendor_knows(profile: str, vendor: str, repo: Path) -> bool:
    if profile == "gemini":  # gemini has no `mcp get`; its project scope is the file above
        return False
    result = subprocess.run([vendor, "mcp", "get", SERVER], cwd=repo, capture_output=True,
                            text=True, timeout=60, check=False, stdin=subprocess.DEVNULL)
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
    command, *args = server_command()
    config.parent.mkdir(parents=True, exist_ok=True)
    if profile == "codex":  # append a table: keeps the user's comments and layout
        existing = config.read_text("utf-8") if config.exists() else ""
        table = (f"\n[mcp_servers.{SERVER}]\ncommand = {json.dumps(command)}\n"
                 f"args = {json.dumps(args)}\n")
        _replace(config, existing.rstrip("\n") + ("\n" if existing else "") + table)
        return
    data = _read(profile, config)
    if not isinstance(data.get("mcpServers", {}), dict):
        raise errors.ValidationError(f"{config}: mcpServers is not an object", path=str(config))
    entry: dict[str, Any] = {"command": command, "args": args}
    if profile == "claude_code":
        entry = {"type": "stdio", **entry, "env": {}}
    data.setdefault("mcpServers", {})[SERVER] = entry
    _replace(config, json.dumps(data, indent=2) + "\n")


def _replace(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    temporary.write_text(text, "utf-8")
    os.replace(temporary, path)

"""Whether an agent CLI already trusts a project, read (never written) from the user-wide
files that CLI keeps, and the one-time step to take when it does not.

Codex 0.169 reads a project's `.codex/config.toml` only when `$CODEX_HOME/config.toml` (default
`~/.codex`) has `[projects."<root>"] trust_level = "trusted"`; `codex exec --trust` records
that. Gemini CLI 0.61 loads a project's MCP servers only in a folder `~/.gemini/
trustedFolders.json` trusts (`GEMINI_CLI_TRUSTED_FOLDERS_PATH` moves it), or with
`GEMINI_CLI_TRUST_WORKSPACE=true`; `--skip-trust` does not enable them. Both are the user's
decision about their machine, so Striatum only says what to do.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from striatum.mcp.toml_table import toml_string


def codex_step(repo: Path) -> str | None:
    """The step that makes Codex trust `repo`, or None when it does already."""
    home = Path(os.environ.get("CODEX_HOME") or Path.home() / ".codex")
    config = home / "config.toml"
    projects = _load(config, tomllib.loads).get("projects", {})
    entry = projects.get(str(repo)) if isinstance(projects, dict) else None
    if isinstance(entry, dict) and entry.get("trust_level") == "trusted":
        return None
    return (
        f"Codex: reads .codex/config.toml only in a trusted project. Trust {repo} once: "
        "pass --trust to your first `codex exec` there, or add to "
        f"{config}:\n    [projects.{toml_string(str(repo))}]\n"
        '    trust_level = "trusted"'
    )


def gemini_step(repo: Path) -> str | None:
    """The step that makes Gemini CLI trust `repo`, or None when it does already."""
    if os.environ.get("GEMINI_CLI_TRUST_WORKSPACE") == "true":
        return None
    gemini = Path.home() / ".gemini"
    security = _load(gemini / "settings.json", json.loads).get("security")
    folder_trust = security.get("folderTrust") if isinstance(security, dict) else None
    if isinstance(folder_trust, dict) and folder_trust.get("enabled") is False:
        return None
    path = Path(os.environ.get("GEMINI_CLI_TRUSTED_FOLDERS_PATH") or gemini / "trustedFolders.json")
    if gemini_trusts(_load(path, json.loads), repo):
        return None
    return (
        "Gemini CLI: loads the project's MCP servers only in a trusted folder "
        f"(--skip-trust is not enough). Trust {repo} once: run `gemini` there and "
        f"trust the folder, or add to {path}:\n"
        f'    {json.dumps(str(repo))}: "TRUST_FOLDER"\n'
        "    or set GEMINI_CLI_TRUST_WORKSPACE=true for each headless run"
    )


def gemini_trusts(rules: dict[str, Any], repo: Path) -> bool:
    """Gemini's rule: the longest rule path holding `repo` decides (TRUST_PARENT names a
    folder whose parent it trusts)."""
    best: tuple[int, str] = (-1, "")
    for rule, level in rules.items():
        folder = Path(rule).parent if level == "TRUST_PARENT" else Path(rule)
        if (repo == folder or folder in repo.parents) and len(folder.parts) > best[0]:
            best = (len(folder.parts), str(level))
    return best[1] in ("TRUST_FOLDER", "TRUST_PARENT")


def _load(path: Path, parse: Callable[[str], Any]) -> dict[str, Any]:
    """A user-wide file as data; unreadable or absent reads as empty (then a step is shown)."""
    try:
        data = parse(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}

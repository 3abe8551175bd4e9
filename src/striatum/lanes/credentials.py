"""Whether an agent CLI is configured to reach its model: the settings each one reads.

Never a secret's value: only which variable or file is there. Each rule follows where the
installed CLI looks (checked against Claude Code 2.1.197, Codex 0.169.0, Gemini CLI 0.61.0):
Claude Code — an API key or token variable, Bedrock/Vertex/Foundry switched on, or a login in
`$CLAUDE_CONFIG_DIR` (else `~/.claude`)/.credentials.json or `.claude.json` (beside it when
CLAUDE_CONFIG_DIR is set, else in home) holding an `oauthAccount`; Codex — an API key
variable, `auth.json` in `$CODEX_HOME` (else `~/.codex`), or a `model_provider` in its
`config.toml`; Gemini CLI — `security.auth.selectedType` in
`$GEMINI_CLI_HOME`(else home)/.gemini/settings.json, or a variable it picks an auth type from.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple


class Setup(NamedTuple):
    ok: bool
    detail: str  # what was found, or where it looked


def configured(profile: str, env: Mapping[str, str], home: Path) -> Setup:
    """The profile's CLI has what it needs to authenticate (not whether it is valid)."""
    return _RULES[profile](env, home)


def _claude(env: Mapping[str, str], home: Path) -> Setup:
    found = _variables(
        env,
        (
            "ANTHROPIC_API_KEY",
            "ANTHROPIC_AUTH_TOKEN",
            "CLAUDE_CODE_OAUTH_TOKEN",
            "CLAUDE_CODE_USE_BEDROCK",
            "CLAUDE_CODE_USE_VERTEX",
            "CLAUDE_CODE_USE_FOUNDRY",
        ),
    )
    if found:
        return found
    folder = Path(env["CLAUDE_CONFIG_DIR"]) if env.get("CLAUDE_CONFIG_DIR") else home / ".claude"
    if (folder / ".credentials.json").is_file():
        return Setup(True, f"login in {folder / '.credentials.json'}")
    state = (folder if env.get("CLAUDE_CONFIG_DIR") else home) / ".claude.json"
    if _read_json(state).get("oauthAccount"):
        return Setup(True, f"login in {state}")
    return Setup(False, f"no ANTHROPIC_API_KEY, no login in {folder}")


def _codex(env: Mapping[str, str], home: Path) -> Setup:
    found = _variables(env, ("OPENAI_API_KEY", "CODEX_API_KEY", "CODEX_ACCESS_TOKEN"))
    if found:
        return found
    folder = Path(env["CODEX_HOME"]) if env.get("CODEX_HOME") else home / ".codex"
    if (folder / "auth.json").is_file():
        return Setup(True, f"login in {folder / 'auth.json'}")
    try:
        settings = tomllib.loads((folder / "config.toml").read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        settings = {}
    if settings.get("model_provider"):
        return Setup(
            True, f"model_provider {settings['model_provider']!r} in {folder / 'config.toml'}"
        )
    return Setup(False, f"no OPENAI_API_KEY, no {folder / 'auth.json'}")


def _gemini(env: Mapping[str, str], home: Path) -> Setup:
    base = Path(env["GEMINI_CLI_HOME"]) if env.get("GEMINI_CLI_HOME") else home
    settings = base / ".gemini" / "settings.json"
    security = _read_json(settings).get("security")
    auth = security.get("auth") if isinstance(security, dict) else None
    selected = auth.get("selectedType") if isinstance(auth, dict) else None
    if isinstance(selected, str) and selected:
        return Setup(True, f"auth {selected!r} in {settings}")
    switches = [
        n
        for n in (
            "GOOGLE_GENAI_USE_GCA",
            "GOOGLE_GENAI_USE_VERTEXAI",
            "CLOUD_SHELL",
            "GEMINI_CLI_USE_COMPUTE_ADC",
        )
        if env.get(n) == "true"
    ]
    if switches:
        return Setup(True, f"{switches[0]}=true")
    return _variables(env, ("GEMINI_API_KEY",)) or Setup(
        False, f"no GEMINI_API_KEY, no auth type in {settings}"
    )


def _variables(env: Mapping[str, str], names: tuple[str, ...]) -> Setup | None:
    present = [name for name in names if env.get(name)]
    return Setup(True, f"{present[0]} set") if present else None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


_RULES: dict[str, Callable[[Mapping[str, str], Path], Setup]] = {
    "claude_code": _claude,
    "codex": _codex,
    "gemini": _gemini,
}

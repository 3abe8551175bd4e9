"""The real agent CLIs: install them once, point them at a scripted model, run them headless.

`lane_env(cli, home, port)` is what a CLI needs to reach the model (endpoint, key, config home,
fail-fast retries) and nothing else, so a Striatum workflow lane can take it as its `env`;
`cli_env` adds the general process environment for running a CLI directly.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tests.agents.model_wire.turns import MCP_SERVER

Cli = Literal["claude", "codex", "gemini"]
CLIS: tuple[Cli, ...] = ("claude", "codex", "gemini")
PACKAGES = (
    "@anthropic-ai/claude-code@2.1.197",
    "@openai/codex@0.169.0",
    "@google/gemini-cli@0.61.0",
)
MODELS: dict[Cli, str] = {
    "claude": "claude-sonnet-4-5",
    "codex": "gpt-5.5",
    "gemini": "gemini-2.5-flash",
}
CODEX_KEY_VAR = "SCRIPTED_MODEL_KEY"
API_KEY = "scripted-key"
INSTALL_SECONDS = 900


def agents_cache() -> Path:
    """`$STRIATUM_AGENTS_CACHE`, default `~/.cache/striatum/agents`."""
    default = Path.home() / ".cache" / "striatum" / "agents"
    return Path(os.environ.get("STRIATUM_AGENTS_CACHE") or default)


def agents_bin() -> Path:
    """The bin dir of the pinned CLIs, installing them once (under a lock) when missing."""
    cache = agents_cache()
    bin_dir = cache / "node_modules" / ".bin"
    if _installed(bin_dir):
        return bin_dir
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # xdist workers: one installs, the others wait
        if not _installed(bin_dir):
            npm = shutil.which("npm")
            if npm is None:
                raise RuntimeError("npm is not on PATH")
            subprocess.run(
                [npm, "install", "--prefix", str(cache), *PACKAGES],
                check=True,
                capture_output=True,
                timeout=INSTALL_SECONDS,
            )
    return bin_dir


def skip_reason() -> str | None:
    """Why the agent tests cannot run here (no node/npm, install failed), or None."""
    if shutil.which("node") is None:
        return "agent CLIs need node on PATH"
    try:
        bin_dir = agents_bin()
    except RuntimeError as exc:
        return f"agent CLIs not installed: {exc}"
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        tail = (exc.stderr or b"")[-400:].decode(errors="replace")
        return f"npm install of {' '.join(PACKAGES)} failed: {tail}"
    if not _installed(bin_dir):
        return f"agent CLIs missing from {bin_dir} after npm install"
    return None


def base_env(home: Path) -> dict[str, str]:
    """A process environment built from nothing, everything private inside `home`."""
    node = shutil.which("node")
    node_dir = str(Path(node).parent) if node else "/usr/bin"
    dirs = {
        "TMPDIR": home / "tmp",
        "XDG_CONFIG_HOME": home / ".config",
        "XDG_CACHE_HOME": home / ".cache",
        "XDG_DATA_HOME": home / ".local" / "share",
        "XDG_STATE_HOME": home / ".local" / "state",
    }
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    return {
        "HOME": str(home),
        "PATH": os.pathsep.join([str(agents_bin()), node_dir, "/usr/bin", "/bin"]),
        "LANG": "C.UTF-8",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        **{name: str(path) for name, path in dirs.items()},
    }


def lane_env(cli: Cli, home: Path, port: int) -> dict[str, str]:
    """Only what `cli` needs to reach the model on `port`; writes its config files in `home`."""
    url = f"http://127.0.0.1:{port}"
    if cli == "claude":
        return {
            "CLAUDE_CONFIG_DIR": str(_mkdir(home / ".claude")),
            "ANTHROPIC_BASE_URL": url,
            "ANTHROPIC_API_KEY": API_KEY,
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_AUTOUPDATER": "1",
            "CLAUDE_CODE_MAX_RETRIES": "1",
        }
    if cli == "codex":
        codex_home = _mkdir(home / ".codex")
        (codex_home / "config.toml").write_text(_codex_config(url))
        return {"CODEX_HOME": str(codex_home), CODEX_KEY_VAR: API_KEY}
    settings = _mkdir(home / ".gemini") / "settings.json"
    settings.write_text(json.dumps(GEMINI_SETTINGS, indent=2))
    # GEMINI_CLI_HOME stands in for the home directory: settings, trust and tmp live under it.
    return {"GEMINI_CLI_HOME": str(home), "GOOGLE_GEMINI_BASE_URL": url, "GEMINI_API_KEY": API_KEY}


def cli_env(cli: Cli, home: Path, port: int) -> dict[str, str]:
    """The full environment to run `cli` directly against the model on `port`."""
    return {**base_env(home), **lane_env(cli, home, port)}


def headless_argv(cli: Cli, prompt: str, extra: Sequence[str] = ()) -> tuple[list[str], str | None]:
    """The headless JSON command line and its stdin text (the prompt where a CLI reads it).

    Gemini runs under `--approval-mode auto_edit` (headless default mode offers no write tool)
    unless `extra` names another approval mode.
    """
    bin_dir = agents_bin()
    if cli == "claude":
        argv = [
            str(bin_dir / "claude"),
            "-p",
            "--output-format",
            "json",
            "--permission-mode",
            "acceptEdits",
            "--model",
            MODELS["claude"],
            *extra,
        ]
        return argv, prompt
    if cli == "codex":
        argv = [
            str(bin_dir / "codex"),
            "exec",
            "--json",
            "--skip-git-repo-check",
            "--sandbox",
            "workspace-write",
            *extra,
            "-",
        ]
        return argv, prompt
    mode = [] if "--approval-mode" in extra else ["--approval-mode", "auto_edit"]
    argv = [
        str(bin_dir / "gemini"),
        "-p",
        prompt,
        "-m",
        MODELS["gemini"],
        "--output-format",
        "json",
        "--skip-trust",
        *mode,
        *extra,
    ]
    return argv, None


def add_mcp_server(cli: Cli, home: Path, command: Sequence[str]) -> list[str]:
    """Register a stdio MCP server named `striatum` for `cli`; returns the extra argv it needs.

    Call after `lane_env`/`cli_env` (which write the config files this extends). Each entry
    is set so headless runs may call its tools: Claude `--allowedTools mcp__striatum`, Codex
    `default_tools_approval_mode = "approve"` and `required = true` (else a turn may start
    before the server is up), Gemini `"trust": true` and `--approval-mode yolo`
    (it offers no MCP tools under auto_edit).
    """
    server = {"command": command[0], "args": list(command[1:])}
    if cli == "claude":
        config = home / "mcp.json"
        config.write_text(json.dumps({"mcpServers": {MCP_SERVER: {"type": "stdio", **server}}}))
        return [
            "--mcp-config",
            str(config),
            "--strict-mcp-config",
            "--allowedTools",
            f"mcp__{MCP_SERVER}",
        ]
    if cli == "codex":
        with open(home / ".codex" / "config.toml", "a") as toml:
            toml.write(
                f"\n[mcp_servers.{MCP_SERVER}]\ncommand = {json.dumps(command[0])}\n"
                f"args = {json.dumps(list(command[1:]))}\n"
                'default_tools_approval_mode = "approve"\nrequired = true\n'
            )
        return []
    path = home / ".gemini" / "settings.json"
    settings = json.loads(path.read_text())
    settings["mcpServers"] = {MCP_SERVER: {**server, "trust": True}}
    path.write_text(json.dumps(settings, indent=2))
    return ["--approval-mode", "yolo"]


@dataclass(frozen=True, kw_only=True)
class CliRun:
    """One finished headless run."""

    cli: Cli
    argv: list[str]
    exit_code: int
    stdout: str
    stderr: str
    seconds: float


def run_headless(
    cli: Cli,
    *,
    home: Path,
    port: int,
    cwd: Path,
    prompt: str,
    timeout: float = 240,
    mcp_command: Sequence[str] = (),
) -> CliRun:
    """Run `cli` once in `cwd` against the model on `port` (with an MCP server if given)."""
    env = cli_env(cli, home, port)
    extra = add_mcp_server(cli, home, mcp_command) if mcp_command else []
    argv, stdin_text = headless_argv(cli, prompt, extra)
    started = time.monotonic()
    done = subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        input=stdin_text or "",
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return CliRun(
        cli=cli,
        argv=argv,
        exit_code=done.returncode,
        stdout=done.stdout,
        stderr=done.stderr,
        seconds=round(time.monotonic() - started, 2),
    )


GEMINI_SETTINGS = {
    "security": {"auth": {"selectedType": "gemini-api-key"}},
    "general": {"enableAutoUpdate": False, "enableAutoUpdateNotification": False, "maxAttempts": 1},
    "privacy": {"usageStatisticsEnabled": False},
    "telemetry": {"enabled": False},
}


def _codex_config(url: str) -> str:
    return f"""\
model = "{MODELS["codex"]}"
model_provider = "scripted"
check_for_update_on_startup = false

[analytics]
enabled = false

[features]
plugins = false
remote_plugin = false
apps = false
unbounded_connection_retries = false

[model_providers.scripted]
name = "scripted"
base_url = "{url}/v1"
env_key = "{CODEX_KEY_VAR}"
wire_api = "responses"
request_max_retries = 1
stream_max_retries = 1
"""


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _installed(bin_dir: Path) -> bool:
    return all((bin_dir / name).exists() for name in CLIS)

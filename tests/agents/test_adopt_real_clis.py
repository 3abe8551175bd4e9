"""The real Claude Code, Codex and Gemini CLIs read what `adopt --profile` writes: each lists
the `striatum` server as connected/enabled once the one-time trust step is done, and not
before where the CLI wants trust. No model is called (`mcp list` only)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from striatum.mcp.registration import register
from tests.agents import clis

BIN = clis.agents_cache() / "node_modules" / ".bin"
# agent_clis installs the pinned CLIs when missing, or skips saying why.
pytestmark = [pytest.mark.agents, pytest.mark.usefixtures("agent_clis")]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git project adopted for all three agents, with a scratch home that trusts nothing."""
    home = tmp_path / "home"
    (home / ".codex").mkdir(parents=True)
    (home / ".gemini").mkdir()
    (home / ".gemini/settings.json").write_text(
        json.dumps(
            {
                "security": {"auth": {"selectedType": "gemini-api-key"}},
                "general": {"enableAutoUpdate": False},
                "privacy": {"usageStatisticsEnabled": False},
                "telemetry": {"enabled": False},
            }
        )
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CODEX_HOME", str(home / ".codex"))
    monkeypatch.delenv("GEMINI_CLI_TRUST_WORKSPACE", raising=False)
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    for agent in ("claude_code", "codex", "gemini"):
        register(agent, repo)
    return repo


def cli(repo: Path, *args: str) -> str:
    home = Path(os.environ["HOME"])
    node = shutil.which("node")
    path = os.pathsep.join(
        [
            str(BIN),
            str(Path(sys.executable).parent),
            *([str(Path(node).parent)] if node else []),
            "/usr/bin",
            "/bin",
        ]
    )
    env = {
        "HOME": str(home),
        "PATH": path,
        "CODEX_HOME": str(home / ".codex"),
        "CLAUDE_CONFIG_DIR": str(home / ".claude"),
        "TMPDIR": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "NO_PROXY": "127.0.0.1,localhost",
        "GEMINI_API_KEY": "unused",
    }
    done = subprocess.run(
        [str(BIN / args[0]), *args[1:]],
        cwd=repo,
        env=env,
        text=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr  # gemini lists on stderr


def test_claude_approves_and_connects_the_server_without_a_prompt(project: Path) -> None:
    listed = cli(project, "claude", "mcp", "list")
    assert "striatum:" in listed and "✔ Connected" in listed, listed


def test_codex_enables_the_server_once_the_project_is_trusted(project: Path) -> None:
    assert "No MCP servers configured" in cli(project, "codex", "mcp", "list")
    home = Path(os.environ["CODEX_HOME"])
    (home / "config.toml").write_text(f'[projects."{project}"]\ntrust_level = "trusted"\n')
    listed = cli(project, "codex", "mcp", "list", "--json")
    [server] = json.loads(listed[listed.index("[") : listed.rindex("]") + 1])
    assert (server["name"], server["enabled"]) == ("striatum", True)
    assert server["transport"]["args"] == ["mcp", "serve"]
    assert register("codex", project)["steps"] == []


def test_gemini_connects_the_server_once_the_folder_is_trusted(project: Path) -> None:
    assert "Disabled" in cli(project, "gemini", "mcp", "list")
    trusted = Path(os.environ["HOME"]) / ".gemini" / "trustedFolders.json"
    trusted.write_text(json.dumps({str(project): "TRUST_FOLDER"}))
    listed = cli(project, "gemini", "mcp", "list")
    assert "✓ striatum" in listed and "Connected" in listed, listed
    assert register("gemini", project)["steps"] == []

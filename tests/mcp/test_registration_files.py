"""The project files `adopt --profile` writes for each agent CLI, called without a daemon:
exact contents, upgrades of Striatum's earlier entries, the user's own entries left alone,
comments kept, and the one-time trust steps read from (never written to) the user's home."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from striatum import errors
from striatum.mcp import agent_trust
from striatum.mcp.registration import PASSED_THROUGH, register, server_command

SERVE, *ARGS = server_command()
GEMINI_ENV = {name: f"${name}" for name in PASSED_THROUGH}
OLD_CODEX = (
    f'[mcp_servers.striatum]\ncommand = "{SERVE}"\nargs = ["mcp", "serve"]\n'
    f"env_vars = [{', '.join(json.dumps(n) for n in PASSED_THROUGH)}]\n"
)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project, with HOME and CODEX_HOME in a scratch folder that trusts nothing."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "home" / ".codex"))
    for name in ("GEMINI_CLI_TRUST_WORKSPACE", "GEMINI_CLI_TRUSTED_FOLDERS_PATH"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "repo").mkdir()
    return tmp_path / "repo"


def read(path: Path) -> Any:
    return (
        tomllib.loads(path.read_text()) if path.suffix == ".toml" else json.loads(path.read_text())
    )


def test_claude_gets_the_server_and_a_local_allow_rule(repo: Path) -> None:
    outcome = register("claude_code", repo)
    assert (outcome["how"], outcome["changed"], outcome["steps"]) == ("written", True, [])
    assert read(repo / ".mcp.json") == {
        "mcpServers": {"striatum": {"type": "stdio", "command": SERVE, "args": ARGS, "env": {}}}
    }
    assert read(repo / ".claude/settings.local.json") == {
        "permissions": {"allow": ["mcp__striatum"]},
        "enabledMcpjsonServers": ["striatum"],
    }


def test_codex_gets_an_approving_entry_and_a_trust_step(repo: Path) -> None:
    outcome = register("codex", repo)
    assert outcome["how"] == "written"
    assert (repo / ".codex/config.toml").read_text() == (
        OLD_CODEX + 'default_tools_approval_mode = "approve"\nrequired = true\n'
    )
    home = repo.parent / "home" / ".codex" / "config.toml"
    assert outcome["steps"] == [
        f"Codex: reads .codex/config.toml only in a trusted project. Trust {repo} once: "
        f"pass --trust to your first `codex exec` there, or add to {home}:\n"
        f'    [projects."{repo}"]\n    trust_level = "trusted"'
    ]


def test_gemini_gets_a_trusted_entry_and_a_folder_trust_step(repo: Path) -> None:
    outcome = register("gemini", repo)
    assert read(repo / ".gemini/settings.json") == {
        "mcpServers": {
            "striatum": {"command": SERVE, "args": ARGS, "env": GEMINI_ENV, "trust": True}
        }
    }
    [step] = outcome["steps"]
    assert step.startswith("Gemini CLI: loads the project's MCP servers only in a trusted")
    assert f'    "{repo}": "TRUST_FOLDER"' in step.splitlines()


def test_the_previous_shapes_are_upgraded_keeping_the_user_s_keys(repo: Path) -> None:
    """What adopt wrote before (or `claude mcp add` / `gemini mcp add` wrote for it)."""
    (repo / ".mcp.json").write_text(
        json.dumps(
            {
                "mcpServers": {
                    "other": {"command": "x"},
                    "striatum": {
                        "type": "stdio",
                        "command": "/old/bin/striatum",
                        "args": ARGS,
                        "env": {"X": "1"},
                    },
                }
            }
        )
    )
    (repo / ".gemini").mkdir()
    (repo / ".gemini/settings.json").write_text(
        json.dumps(
            {
                "theme": "dark",
                "mcpServers": {
                    "striatum": {"command": SERVE, "args": ARGS, "env": GEMINI_ENV, "timeout": 9}
                },
            }
        )
    )
    (repo / ".codex").mkdir()
    (repo / ".codex/config.toml").write_text(
        '# mine\nmodel = "o3"\n\n' + OLD_CODEX + "startup_timeout_sec = 20  # slow disk\n\n"
        '[mcp_servers.other]\ncommand = "x"\n'
    )
    assert [register(agent, repo)["how"] for agent in ("claude_code", "codex", "gemini")] == [
        "upgraded",
        "upgraded",
        "upgraded",
    ]
    assert read(repo / ".mcp.json")["mcpServers"] == {
        "other": {"command": "x"},
        "striatum": {"type": "stdio", "command": SERVE, "args": ARGS, "env": {"X": "1"}},
    }
    assert read(repo / ".gemini/settings.json") == {
        "theme": "dark",
        "mcpServers": {
            "striatum": {
                "command": SERVE,
                "args": ARGS,
                "env": GEMINI_ENV,
                "timeout": 9,
                "trust": True,
            }
        },
    }
    assert (repo / ".codex/config.toml").read_text() == (
        '# mine\nmodel = "o3"\n\n' + OLD_CODEX + "startup_timeout_sec = 20  # slow disk\n"
        'default_tools_approval_mode = "approve"\nrequired = true\n'
        '\n[mcp_servers.other]\ncommand = "x"\n'
    )


def test_adopting_again_changes_nothing(repo: Path) -> None:
    for agent in ("claude_code", "codex", "gemini"):
        register(agent, repo)
    files = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    again = [register(agent, repo) for agent in ("claude_code", "codex", "gemini")]
    assert [(r["how"], r["changed"]) for r in again] == [("already current", False)] * 3
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()} == files


def test_the_user_s_own_striatum_entries_are_left_alone_with_a_step(repo: Path) -> None:
    http = {"type": "http", "url": "http://127.0.0.1:8766/mcp"}
    (repo / ".mcp.json").write_text(json.dumps({"mcpServers": {"striatum": http}}))
    (repo / ".gemini").mkdir()
    (repo / ".gemini/settings.json").write_text(json.dumps({"mcpServers": {"striatum": http}}))
    (repo / ".codex").mkdir()
    mine = '[mcp_servers.striatum]\ncommand = "uvx"\nargs = ["striatum", "mcp", "serve"]\n'
    (repo / ".codex/config.toml").write_text(mine)
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    outcomes = [register(agent, repo) for agent in ("claude_code", "codex", "gemini")]
    assert [(r["how"], r["changed"]) for r in outcomes] == [("left alone", False)] * 3
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()} == before
    assert "--allowedTools mcp__striatum" in outcomes[0]["steps"][0]
    assert 'default_tools_approval_mode = "approve"' in outcomes[1]["steps"][0]
    assert '"trust": true' in outcomes[2]["steps"][0]


def test_the_user_s_settings_and_rules_are_kept(repo: Path) -> None:
    (repo / ".claude").mkdir()
    (repo / ".claude/settings.local.json").write_text(
        json.dumps(
            {
                "model": "opus",
                "permissions": {"allow": ["Bash(ls)"], "deny": ["WebFetch"]},
                "enabledMcpjsonServers": ["other"],
            }
        )
    )
    register("claude_code", repo)
    assert read(repo / ".claude/settings.local.json") == {
        "model": "opus",
        "permissions": {"allow": ["Bash(ls)", "mcp__striatum"], "deny": ["WebFetch"]},
        "enabledMcpjsonServers": ["other", "striatum"],
    }


def test_no_trust_step_once_the_user_trusts_the_project(repo: Path) -> None:
    home = repo.parent / "home"
    (home / ".codex").mkdir(parents=True)
    (home / ".codex/config.toml").write_text(f'[projects."{repo}"]\ntrust_level = "trusted"\n')
    (home / ".gemini").mkdir()
    (home / ".gemini/trustedFolders.json").write_text(json.dumps({str(repo): "TRUST_FOLDER"}))
    assert register("codex", repo)["steps"] == register("gemini", repo)["steps"] == []
    assert (home / ".codex/config.toml").read_text() == (
        f'[projects."{repo}"]\ntrust_level = "trusted"\n'
    )  # read, never written


@pytest.mark.parametrize(
    ("rules", "trusted"),
    [
        ({"/": "TRUST_FOLDER"}, True),
        ({"/w/repo/x": "TRUST_PARENT"}, True),
        ({"/w": "TRUST_FOLDER", "/w/repo": "DO_NOT_TRUST"}, False),
        ({"/w/repo": "TRUST_FOLDER", "/w": "DO_NOT_TRUST"}, True),
        ({"/w/repository": "TRUST_FOLDER"}, False),
    ],
)
def test_gemini_folder_trust_follows_the_longest_rule(rules: dict[str, str], trusted: bool) -> None:
    assert agent_trust.gemini_trusts(rules, Path("/w/repo")) is trusted


def test_a_table_it_cannot_edit_safely_is_refused_untouched(repo: Path) -> None:
    (repo / ".codex").mkdir()
    spread = OLD_CODEX.replace('args = ["mcp", "serve"]', 'args = [\n  "mcp",\n  "serve",\n]')
    (repo / ".codex/config.toml").write_text(spread)
    with pytest.raises(errors.ValidationError, match="its args spans several lines"):
        register("codex", repo)
    assert (repo / ".codex/config.toml").read_text() == spread

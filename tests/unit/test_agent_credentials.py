"""What counts as a configured agent CLI: its key variables or its own login files."""

from __future__ import annotations

import json
from pathlib import Path

from striatum.cli import agents_plane
from striatum.lanes.credentials import configured
from striatum.lanes.preflight import Probe


def test_nothing_set_is_not_configured_and_says_where_it_looked(tmp_path: Path) -> None:
    for profile in ("claude_code", "codex", "gemini"):
        setup = configured(profile, {}, tmp_path)
        assert not setup.ok and str(tmp_path) in setup.detail


def test_key_variables_configure_each_cli(tmp_path: Path) -> None:
    assert configured("claude_code", {"ANTHROPIC_API_KEY": "k"}, tmp_path).ok
    assert configured("claude_code", {"CLAUDE_CODE_USE_BEDROCK": "1"}, tmp_path).ok
    assert configured("codex", {"CODEX_API_KEY": "k"}, tmp_path).ok
    assert configured("gemini", {"GEMINI_API_KEY": "k"}, tmp_path).ok
    assert configured("gemini", {"GOOGLE_GENAI_USE_VERTEXAI": "true"}, tmp_path).ok
    assert not configured("gemini", {"GOOGLE_GENAI_USE_VERTEXAI": "false"}, tmp_path).ok
    assert not configured("codex", {"ANTHROPIC_API_KEY": "k"}, tmp_path).ok


def test_claude_logins_in_its_config_dir_or_claude_json(tmp_path: Path) -> None:
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / ".credentials.json").write_text("{}")
    assert configured("claude_code", {"CLAUDE_CONFIG_DIR": str(tmp_path / "cfg")}, tmp_path).ok
    assert not configured("claude_code", {}, tmp_path).ok
    (tmp_path / ".claude.json").write_text(json.dumps({"oauthAccount": {"emailAddress": "x"}}))
    assert configured("claude_code", {}, tmp_path).detail == f"login in {tmp_path / '.claude.json'}"


def test_codex_auth_json_or_a_model_provider_under_codex_home(tmp_path: Path) -> None:
    home = tmp_path / "codex-home"
    home.mkdir()
    env = {"CODEX_HOME": str(home)}
    (home / "config.toml").write_text('model = "gpt-5.5"\n')
    assert not configured("codex", env, tmp_path).ok
    (home / "config.toml").write_text('model_provider = "local"\n')
    assert configured("codex", env, tmp_path).ok
    (home / "config.toml").unlink()
    (home / "auth.json").write_text("{}")
    assert configured("codex", env, tmp_path).ok


def test_gemini_selected_auth_type_under_gemini_cli_home(tmp_path: Path) -> None:
    settings = tmp_path / "g" / ".gemini" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text('{"security": {"auth": "not an object"}}')
    env = {"GEMINI_CLI_HOME": str(tmp_path / "g")}
    assert not configured("gemini", env, tmp_path).ok
    settings.write_text('{"security": {"auth": {"selectedType": "oauth-personal"}}}')
    assert configured("gemini", env, tmp_path).detail == f"auth 'oauth-personal' in {settings}"


def test_only_a_needed_agent_that_is_not_ready_fails_and_lines_fit_80_columns() -> None:
    missing = Probe(path=None, version=None, problem="`codex` is not on PATH")
    answering = Probe(path="/x/claude", version="2.1.197 (Claude Code)", problem=None)
    from striatum.lanes.credentials import Setup

    unset = Setup(
        False, "no OPENAI_API_KEY, no /a/very/long/home/directory/somewhere/.codex/auth.json"
    )
    info = agents_plane.check("codex", missing, unset, None, "npm install -g @openai/codex")
    bad = agents_plane.check("codex", missing, unset, "run run_1", "npm i")
    ready = agents_plane.check(
        "claude_code", answering, Setup(True, "ANTHROPIC_API_KEY set"), "adopted", "npm i"
    )
    assert (info["ok"], bad["ok"], ready["ok"]) == (True, False, True)
    assert agents_plane.needed({"codex"}, {"codex": "run run_1", "gemini": "run run_2"}) == {
        "codex": "adopted, run run_1",
        "gemini": "run run_2",
    }
    text = agents_plane.lines({"ok": False, "checks": [ready, bad, info]})
    assert text[0] == "agents: PROBLEM" and text[1].startswith("  ok   claude_code: 2.1.197")
    assert any(line.startswith("  BAD  codex") for line in text)
    assert any(line.startswith("   -   codex") for line in text)
    assert max(len(line) for line in text) <= 80

"""The command `adopt` registers for Striatum's MCP server: plain `striatum` when PATH finds
this installation's own (the files survive a moved environment and suit a teammate's clone),
else this installation's absolute path; either shape counts as Striatum's own."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from striatum.mcp.registration import register, registered_command, server_command

BESIDE = Path(sys.executable).parent / "striatum"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "home" / ".codex"))
    (tmp_path / "repo").mkdir()
    return tmp_path / "repo"


def linked_bin(folder: Path, target: Path) -> Path:
    """A PATH directory whose `striatum` is a link to `target` (as pipx and uv tool make)."""
    folder.mkdir(parents=True)
    (folder / "striatum").symlink_to(target)
    return folder


def test_plain_striatum_when_path_finds_this_installation(tmp_path: Path) -> None:
    path = f"{linked_bin(tmp_path / 'bin', BESIDE)}:/usr/bin:/bin"
    assert server_command(path) == ["striatum", "mcp", "serve"]


def test_the_absolute_path_when_path_finds_none(tmp_path: Path) -> None:
    assert server_command(f"{tmp_path}:/usr/bin:/bin") == [str(BESIDE), "mcp", "serve"]


def test_the_absolute_path_when_path_finds_another_installation(tmp_path: Path) -> None:
    other = tmp_path / "other-venv" / "striatum"
    other.parent.mkdir()
    other.write_text("#!/bin/sh\n")
    other.chmod(0o755)
    path = f"{linked_bin(tmp_path / 'bin', other)}:/usr/bin:/bin"
    assert server_command(path) == [str(BESIDE), "mcp", "serve"]


@pytest.mark.parametrize("profile", ["claude_code", "codex", "gemini"])
def test_adopt_writes_plain_striatum_and_later_adopts_keep_it(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, profile: str
) -> None:
    monkeypatch.setenv("PATH", f"{linked_bin(tmp_path / 'bin', BESIDE)}:/usr/bin:/bin")
    assert register(profile, repo)["how"] == "written"
    assert registered_command(profile, repo) == "striatum"
    assert register(profile, repo)["how"] == "already current"


def test_an_absolute_path_entry_is_upgraded_to_plain_striatum(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry written before the environment moved (a dead absolute path) is still ours."""
    gone = {"command": "/old/venv/bin/striatum", "args": ["mcp", "serve"], "env": {"KEEP": "1"}}
    (repo / ".mcp.json").write_text(json.dumps({"mcpServers": {"striatum": gone}}))
    monkeypatch.setenv("PATH", f"{linked_bin(tmp_path / 'bin', BESIDE)}:/usr/bin:/bin")
    assert register("claude_code", repo)["how"] == "upgraded"
    entry = json.loads((repo / ".mcp.json").read_text())["mcpServers"]["striatum"]
    assert entry["command"] == "striatum" and entry["env"] == {"KEEP": "1"}


def test_a_plain_striatum_entry_is_upgraded_where_path_lacks_it(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / ".mcp.json").write_text(
        json.dumps({"mcpServers": {"striatum": {"command": "striatum", "args": ["mcp", "serve"]}}})
    )
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    assert register("claude_code", repo)["how"] == "upgraded"
    assert registered_command("claude_code", repo) == str(BESIDE)


def test_a_user_s_own_entry_has_no_registered_command(repo: Path) -> None:
    mine = {"command": "npx", "args": ["my-striatum-proxy"]}
    (repo / ".mcp.json").write_text(json.dumps({"mcpServers": {"striatum": mine}}))
    assert registered_command("claude_code", repo) is None
    assert registered_command("gemini", repo) is None  # no file at all

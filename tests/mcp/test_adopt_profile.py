"""`adopt --profile` through the real CLI: skills, each agent CLI's project files, the
one-time steps, idempotence. Stub `claude`/`codex`/`gemini` executables on PATH record any
call: adopt writes the files itself, so there must be none."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from striatum.mcp.registration import PASSED_THROUGH
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import new_repo

BIN = Path(sys.executable).parent
STUB = """#!{python}
import json, os, sys
from pathlib import Path
name, args = Path(sys.argv[0]).name, sys.argv[1:]
log = Path(os.environ["STUB_LOG"])
calls = [json.loads(l) for l in log.read_text().splitlines()] if log.exists() else []
with log.open("a") as handle:
    handle.write(json.dumps([name, *args]) + "\\n")
added = any(c[0] == name and c[1:3] == ["mcp", "add"] for c in calls)
if args[:2] == ["mcp", "get"]:
    sys.exit(0 if added else 1)
if args[:2] == ["mcp", "add"] and name in ("claude", "gemini"):
    target = Path(".mcp.json" if name == "claude" else ".gemini/settings.json")
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps({{"mcpServers": {{"striatum": {{"args": args}}}}}}))
"""


@pytest.fixture
def stubs(tmp_path: Path) -> Path:
    folder = tmp_path / "stub-bin"
    folder.mkdir()
    for name in ("claude", "codex", "gemini"):
        (folder / name).write_text(STUB.format(python=sys.executable))
        (folder / name).chmod(0o755)
    return folder


def adopt(
    daemon: DaemonUnderTest, repo: Path, profile: str, *, path: str, log: Path
) -> subprocess.CompletedProcess[str]:
    env = {**daemon.env, "PATH": path, "STUB_LOG": str(log), "HOME": str(repo.parent)}
    return subprocess.run(
        [str(BIN / "striatum"), "--repo", str(repo), "adopt", "--profile", profile, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def tree(repo: Path) -> dict[str, str]:
    return {
        str(p.relative_to(repo)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.parts
    }


def calls(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_adopt_all_writes_the_files_itself_and_lists_the_steps(
    daemon: DaemonUnderTest, tmp_path: Path, stubs: Path
) -> None:
    """The same files whether or not the vendor CLIs are on PATH: they are never called."""
    repo, log = new_repo(tmp_path), tmp_path / "calls.log"
    path = f"{stubs}:{os.environ['PATH']}"
    first = adopt(daemon, repo, "all", path=path, log=log)
    assert first.returncode == 0, first.stderr
    result: dict[str, Any] = json.loads(first.stdout)
    assert [(m["agent"], m["how"], m["changed"]) for m in result["mcp"]] == [
        ("claude_code", "written", True),
        ("codex", "written", True),
        ("gemini", "written", True),
    ]
    assert calls(log) == []
    serve = str(BIN / "striatum")
    assert json.loads((repo / ".mcp.json").read_text()) == {
        "mcpServers": {
            "striatum": {"type": "stdio", "command": serve, "args": ["mcp", "serve"], "env": {}}
        }
    }
    assert json.loads((repo / ".claude/settings.local.json").read_text()) == {
        "permissions": {"allow": ["mcp__striatum"]},
        "enabledMcpjsonServers": ["striatum"],
    }
    codex = tomllib.loads((repo / ".codex/config.toml").read_text())
    assert codex["mcp_servers"]["striatum"] == {
        "command": serve,
        "args": ["mcp", "serve"],
        "env_vars": list(PASSED_THROUGH),
        "default_tools_approval_mode": "approve",
        "required": True,
    }
    gemini = json.loads((repo / ".gemini/settings.json").read_text())["mcpServers"]["striatum"]
    assert gemini["trust"] is True and gemini["env"]["STRIATUM_TOKEN"] == "$STRIATUM_TOKEN"
    assert [step.split(":")[0] for step in result["steps"]] == ["Codex", "Gemini CLI"]
    assert f'[projects."{repo}"]' in result["steps"][0]
    assert (repo / ".claude/skills/striatum-claim-loop/SKILL.md").is_file()
    assert (repo / ".agents/skills/striatum-review/SKILL.md").is_file()
    assert ".striatum/" in (repo / ".gitignore").read_text().splitlines()
    before = tree(repo)

    second = adopt(daemon, repo, "all", path=path, log=log)
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)
    assert again["already_adopted"] and not again["gitignore_updated"]
    assert [m["how"] for m in again["mcp"]] == ["already current"] * 3
    assert [d["changed"] for d in again["skills"]] == [False, False]
    assert again["steps"] == result["steps"]  # until the user trusts the project
    assert tree(repo) == before  # nothing rewritten


def test_an_earlier_adopt_is_upgraded_and_the_steps_read_at_80_columns(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    """The shape adopt wrote before this change, with the user's comment around it."""
    repo = new_repo(tmp_path)
    (repo / ".codex").mkdir()
    old = (
        f'# my settings\n[mcp_servers.striatum]\ncommand = "{BIN / "striatum"}"\n'
        'args = ["mcp", "serve"]\n'
        f"env_vars = [{', '.join(json.dumps(n) for n in PASSED_THROUGH)}]\n"
    )
    (repo / ".codex/config.toml").write_text(old)
    human = subprocess.run(
        [str(BIN / "striatum"), "--repo", str(repo), "adopt", "--profile", "codex"],
        env={**daemon.env, "HOME": str(tmp_path), "CODEX_HOME": str(tmp_path / "codex")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert human.returncode == 0, human.stderr
    assert (repo / ".codex/config.toml").read_text() == (
        old + 'default_tools_approval_mode = "approve"\nrequired = true\n'
    )
    assert "MCP server for codex: upgraded (.codex/config.toml)" in human.stdout
    out = human.stdout
    steps = out[out.index("steps:") : out.index("skills:")].splitlines()
    assert steps[1].startswith("  - Codex: reads .codex/config.toml only in a trusted")
    assert f'      [projects."{repo}"]' in steps
    assert '      trust_level = "trusted"' in steps
    assert all(len(line) <= 80 or "/" in line.split()[-1] for line in steps)


def test_an_unreadable_agent_config_is_named_and_left_alone(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    repo, log = new_repo(tmp_path), tmp_path / "calls.log"
    (repo / ".codex").mkdir()
    (repo / ".codex/config.toml").write_text("[mcp_servers\nbroken")
    result = adopt(daemon, repo, "codex", path=os.environ["PATH"], log=log)
    assert result.returncode == 3
    assert f"{repo}/.codex/config.toml: cannot read it" in result.stderr
    assert (repo / ".codex/config.toml").read_text() == "[mcp_servers\nbroken"


def test_an_inline_mcp_servers_table_is_refused_not_corrupted(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    repo, log = new_repo(tmp_path), tmp_path / "calls.log"
    (repo / ".codex").mkdir()
    original = 'mcp_servers = { other = { command = "x" } }\n'
    (repo / ".codex/config.toml").write_text(original)
    result = adopt(daemon, repo, "codex", path=os.environ["PATH"], log=log)
    assert result.returncode == 3 and "add the server yourself" in result.stderr
    assert (repo / ".codex/config.toml").read_text() == original

"""`adopt --profile`: skills, the MCP server registered with each agent CLI, idempotence.

Stub `claude`/`codex`/`gemini` executables record every call and, like the real CLIs, keep
a project-scoped registration (claude/gemini in the project file, codex in its own home).
"""

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
STUB = '''#!{python}
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
'''


@pytest.fixture
def stubs(tmp_path: Path) -> Path:
    folder = tmp_path / "stub-bin"
    folder.mkdir()
    for name in ("claude", "codex", "gemini"):
        (folder / name).write_text(STUB.format(python=sys.executable))
        (folder / name).chmod(0o755)
    return folder


def adopt(daemon: DaemonUnderTest, repo: Path, profile: str, *, path: str,
          log: Path) -> subprocess.CompletedProcess[str]:
    env = {**daemon.env, "PATH": path, "STUB_LOG": str(log), "HOME": str(repo.parent)}
    return subprocess.run([str(BIN / "striatum"), "--repo", str(repo), "adopt", "--profile",
                           profile, "--json"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def tree(repo: Path) -> dict[str, str]:
    return {str(p.relative_to(repo)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(repo.rglob("*")) if p.is_file() and ".git" not in p.parts}


def calls(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_adopt_all_uses_each_vendor_cli_once(daemon: DaemonUnderTest, tmp_path: Path,
                                             stubs: Path) -> None:
    repo, log = new_repo(tmp_path), tmp_path / "calls.log"
    path = f"{stubs}:{os.environ['PATH']}"
    first = adopt(daemon, repo, "all", path=path, log=log)
    assert first.returncode == 0, first.stderr
    result: dict[str, Any] = json.loads(first.stdout)
    assert [(m["agent"], m["how"]) for m in result["mcp"]] == [
        ("claude_code", "vendor CLI"), ("codex", "wrote project file"), ("gemini", "vendor CLI")]
    serve = [str(BIN / "striatum"), "mcp", "serve"]
    adds = [c for c in calls(log) if c[1:3] == ["mcp", "add"]]
    passed = [flag for name in PASSED_THROUGH for flag in ("-e", f"{name}=${name}")]
    # `codex mcp add` writes the user-wide config: Codex gets its project file instead.
    assert adds == [["claude", "mcp", "add", "--scope", "project", "striatum", "--", *serve],
                    ["gemini", "mcp", "add", "--scope", "project", *passed, "striatum",
                     *serve]]
    assert (repo / ".claude/skills/striatum-claim-loop/SKILL.md").is_file()
    assert (repo / ".agents/skills/striatum-review/SKILL.md").is_file()
    assert ".striatum/" in (repo / ".gitignore").read_text().splitlines()
    before, logged = tree(repo), len(calls(log))

    second = adopt(daemon, repo, "all", path=path, log=log)
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)
    assert again["already_adopted"] and not again["gitignore_updated"]
    assert [m["changed"] for m in again["mcp"]] == [False, False, False]
    assert [d["changed"] for d in again["skills"]] == [False, False]
    assert tree(repo) == before  # nothing rewritten
    assert [c for c in calls(log)[logged:] if c[1:3] == ["mcp", "add"]] == []


def test_without_vendor_clis_adopt_writes_the_project_files(daemon: DaemonUnderTest,
                                                            tmp_path: Path) -> None:
    repo, log = new_repo(tmp_path), tmp_path / "calls.log"
    (repo / ".mcp.json").write_text(json.dumps({"mcpServers": {"other": {"command": "x"}}}))
    first = adopt(daemon, repo, "all", path=os.environ["PATH"], log=log)
    assert first.returncode == 0, first.stderr
    assert {m["how"] for m in json.loads(first.stdout)["mcp"]} == {"wrote project file"}
    serve = str(BIN / "striatum")
    claude = json.loads((repo / ".mcp.json").read_text())["mcpServers"]
    assert claude["other"] == {"command": "x"}  # the user's servers are kept
    assert claude["striatum"] == {"type": "stdio", "command": serve, "args": ["mcp", "serve"],
                                  "env": {}}
    codex = tomllib.loads((repo / ".codex/config.toml").read_text())
    assert codex["mcp_servers"]["striatum"] == {"command": serve, "args": ["mcp", "serve"],
                                                "env_vars": list(PASSED_THROUGH)}
    gemini = json.loads((repo / ".gemini/settings.json").read_text())
    assert gemini["mcpServers"]["striatum"]["args"] == ["mcp", "serve"]
    assert gemini["mcpServers"]["striatum"]["env"]["STRIATUM_TOKEN"] == "$STRIATUM_TOKEN"
    before = tree(repo)
    second = adopt(daemon, repo, "all", path=os.environ["PATH"], log=log)
    assert second.returncode == 0 and tree(repo) == before
    human = subprocess.run([str(BIN / "striatum"), "--repo", str(repo), "adopt", "--profile",
                            "codex"], env={**daemon.env, "HOME": str(tmp_path)},
                           capture_output=True, text=True, timeout=60, check=False)
    assert "MCP server for codex: already registered" in human.stdout
    assert "skills already current" in human.stdout


def test_an_unreadable_agent_config_is_named_and_left_alone(daemon: DaemonUnderTest,
                                                            tmp_path: Path) -> None:
    repo, log = new_repo(tmp_path), tmp_path / "calls.log"
    (repo / ".codex").mkdir()
    (repo / ".codex/config.toml").write_text("[mcp_servers\nbroken")
    result = adopt(daemon, repo, "codex", path=os.environ["PATH"], log=log)
    assert result.returncode == 3
    assert f"{repo}/.codex/config.toml: cannot read it" in result.stderr
    assert (repo / ".codex/config.toml").read_text() == "[mcp_servers\nbroken"


def test_an_inline_mcp_servers_table_is_refused_not_corrupted(daemon: DaemonUnderTest,
                                                              tmp_path: Path) -> None:
    repo, log = new_repo(tmp_path), tmp_path / "calls.log"
    (repo / ".codex").mkdir()
    original = 'mcp_servers = { other = { command = "x" } }\n'
    (repo / ".codex/config.toml").write_text(original)
    result = adopt(daemon, repo, "codex", path=os.environ["PATH"], log=log)
    assert result.returncode == 3 and "add the server yourself" in result.stderr
    assert (repo / ".codex/config.toml").read_text() == original

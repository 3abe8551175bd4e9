"""`striatum doctor` fails an adopted agent whose project file registers an MCP server
command that PATH does not find (a moved environment, a teammate's clone), naming the file,
the command and the fix; it passes once PATH finds it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.agent_stubs import path_with, stub_clis
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import new_repo

BIN = Path(sys.executable).parent


def striatum(
    daemon: DaemonUnderTest, repo: Path, path: str, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(repo.parent), "PATH": path, "ANTHROPIC_API_KEY": "sk-test"}
    result = daemon.cli("--repo", str(repo), *args, env=env)
    assert "Traceback" not in result.stderr
    return result


def mcp_check(report: dict[str, Any]) -> dict[str, Any]:
    checks: list[dict[str, Any]] = report["agents"]["checks"]
    [found] = [c for c in checks if c["check"] == "claude_code MCP server"]
    return found


def test_doctor_fails_an_mcp_command_path_does_not_find(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    repo = new_repo(tmp_path)
    stubs = stub_clis(tmp_path / "bin", "claude")
    (stubs / "striatum").symlink_to(BIN / "striatum")  # this installation, on PATH
    adopted = striatum(daemon, repo, path_with(stubs), "adopt", "--profile", "claude_code")
    assert adopted.returncode == 0, adopted.stderr
    entry = json.loads((repo / ".mcp.json").read_text())["mcpServers"]["striatum"]
    assert entry["command"] == "striatum"

    found = striatum(daemon, repo, path_with(stubs), "doctor", "--json")
    report = json.loads(found.stdout)
    assert found.returncode == 0, report["agents"]
    assert mcp_check(report)["ok"] and mcp_check(report)["path"] == str(stubs / "striatum")

    (stubs / "striatum").unlink()  # as for a teammate without striatum on PATH
    lost = striatum(daemon, repo, path_with(stubs), "doctor", "--json")
    report = json.loads(lost.stdout)
    assert lost.returncode == 18 and not report["agents"]["ok"]
    check = mcp_check(report)
    assert not check["ok"] and "`striatum mcp serve`, which is not on PATH" in check["detail"]
    assert check["fix"].startswith("striatum adopt --profile claude_code")
    human = striatum(daemon, repo, path_with(stubs), "doctor")
    assert human.returncode == 18
    assert "BAD  claude_code MCP server: .mcp.json runs `striatum mcp serve`" in human.stdout

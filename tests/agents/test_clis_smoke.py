"""Each real agent CLI against the scripted model: it does a lane's writes, and fails fast."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.agents import clis
from tests.agents.scripted_model import (
    Final,
    McpCall,
    Reply,
    ScriptedModel,
    Turn,
    free_port,
    lane_script,
)

pytestmark = [pytest.mark.agents, pytest.mark.timeout(300)]

DRAFT = "docs/striatum/run_1/draft/attempt-1/draft.md"
PROMPT = f"""You are the author.

## This job
- Run: `run_1`; job: `draft` (task), attempt 1 of 3
- Lease: `lse_smoke` (also in $STRIATUM_LEASE)
- You may write only under: `src/`, `docs/striatum/`

## Write
- `{DRAFT}` (required)
"""
APP = "print('scripted')\n"
DOWN_SECONDS = 60


@pytest.fixture(scope="module", autouse=True)
def installed_clis() -> None:
    """Skip (saying why) where node, npm or the pinned CLIs are unavailable."""
    reason = clis.skip_reason()
    if reason:
        pytest.skip(reason)


def scratch_repo(root: Path) -> Path:
    repo = root / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "app.py").write_text("print('before')\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "start"], check=True)
    return repo


@pytest.mark.parametrize("cli", clis.CLIS)
def test_cli_writes_the_lane_files_and_exits_0(cli: clis.Cli, tmp_path: Path) -> None:
    """A new file and an overwrite of a tracked one (Claude must Read before it may Write)."""
    repo = scratch_repo(tmp_path)
    seen: list[Turn] = []
    lane = lane_script(edits={"src/app.py": APP})

    def script(turn: Turn) -> Reply:
        seen.append(turn)
        return lane(turn)

    with ScriptedModel(script) as model:
        run = clis.run_headless(
            cli, home=tmp_path / "home", port=model.port, cwd=repo, prompt=PROMPT
        )
    assert run.exit_code == 0, run.stdout + run.stderr
    assert (repo / DRAFT).read_text().startswith("# draft.md")
    assert (repo / "src" / "app.py").read_text() == APP
    assert model.errors == []
    assert seen[0].cwd == str(repo) and seen[0].prompt.strip() == PROMPT.strip()
    assert [t.number for t in seen] == [0, 1]


@pytest.mark.parametrize("cli", ["claude", "gemini"])
def test_cli_json_output_names_the_model_used(cli: clis.Cli, tmp_path: Path) -> None:
    repo = scratch_repo(tmp_path)
    with ScriptedModel(lane_script()) as model:
        run = clis.run_headless(
            cli, home=tmp_path / "home", port=model.port, cwd=repo, prompt=PROMPT
        )
    output = json.loads(run.stdout)
    models = output["modelUsage"] if cli == "claude" else output["stats"]["models"]
    assert list(models) == [clis.MODELS[cli]]


@pytest.mark.parametrize("cli", clis.CLIS)
def test_cli_fails_fast_when_the_endpoint_is_down(cli: clis.Cli, tmp_path: Path) -> None:
    repo = scratch_repo(tmp_path)
    run = clis.run_headless(
        cli,
        home=tmp_path / "home",
        port=free_port(),
        cwd=repo,
        prompt=PROMPT,
        timeout=DOWN_SECONDS * 2,
    )
    assert run.exit_code != 0
    assert run.seconds < DOWN_SECONDS
    assert not (repo / DRAFT).exists()


@pytest.mark.parametrize("cli", clis.CLIS)
def test_cli_calls_a_striatum_mcp_tool_by_its_plain_name(cli: clis.Cli, tmp_path: Path) -> None:
    """McpCall("claim_next") reaches the MCP server under each CLI's naming (Codex searches)."""
    repo = scratch_repo(tmp_path)
    seen: list[Turn] = []

    def script(turn: Turn) -> Reply:
        seen.append(turn)
        return [McpCall("claim_next", {"lane": "author"})] if turn.number == 0 else Final("ok")

    server = [sys.executable, str(Path(__file__).parent / "fixtures" / "mcp_echo.py")]
    with ScriptedModel(script) as model:
        run = clis.run_headless(
            cli,
            home=tmp_path / "home",
            port=model.port,
            cwd=repo,
            prompt="Claim the next job.",
            mcp_command=server,
        )
    assert run.exit_code == 0, run.stdout + run.stderr
    results = seen[-1].tool_results
    assert len(results) == 1 and 'claimed {"lane": "author"}' in results[0].text, results
    assert not results[0].is_error

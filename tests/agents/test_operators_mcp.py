"""The real CLIs as MCP operators, set up by `adopt --profile` alone plus the one-time trust
steps it prints, run with the headless command docs/USING_STRIATUM.md gives:

- a review run driven by two operator sessions of different CLIs: one claims the author's
  job, the other the review (verdict provenance names both providers, cross-provider);
- a one-CLI run of a workflow whose gate allows the same provider (cross_provider false);
- the co-blindness rule: a CLI that authored the draft is refused its review.

The scripted model plays an operator: it registers a session declaring its provider, claims
the job named in the prompt, writes the packet's expected output, and completes.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.agents import clis
from tests.agents.scripted_model import (
    Final,
    McpCall,
    Reply,
    ScriptedModel,
    Turn,
    WriteFile,
)
from tests.support.operator import Operator

pytestmark = [pytest.mark.agents, pytest.mark.timeout(600), pytest.mark.usefixtures("agent_clis")]

BIN = Path(sys.executable).parent
PROVIDER = {"claude": "claude_code", "codex": "codex", "gemini": "gemini"}
TASK = re.compile(
    r"job `(?P<job>[a-z_-]+)` of run `(?P<run>run_[0-9a-f]+)` as provider "
    r"`(?P<provider>[a-z_]+)`"
)


def _json_in(text: str) -> dict[str, Any]:
    """The JSON object in a tool result (Codex wraps it in `Wall time: … Output: …`)."""
    start, end = text.find("{"), text.rfind("}")
    try:
        found = json.loads(text[start : end + 1]) if start >= 0 else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def operator_script(turn: Turn) -> Reply:
    """register_session -> claim_next -> write the expected output -> complete -> end."""
    task = TASK.search(turn.prompt)
    if task is None:
        return Final("No Striatum job named in the prompt.")
    if not turn.tool_results:
        return [McpCall("register_session", {"role": "operator", "provider": task["provider"]})]
    last = turn.tool_results[-1]
    answer = _json_in(last.text)
    if "session_id" in answer and "claimed" not in answer:
        return [
            McpCall(
                "claim_next",
                {"session": answer["session_id"], "run_id": task["run"], "job": task["job"]},
            )
        ]
    if "claimed" in answer:
        if not answer["claimed"] or last.is_error:
            return Final(f"Could not claim: {last.text[:300]}")
        path = answer["expected_artifacts"][0]["path"]
        body = (
            "---\nverdict: accept\n---\nLooks right.\n"
            if answer["job"]["kind"] == "review"
            else "# Draft\n\nWritten by an operator.\n"
        )
        return [WriteFile(path, body)]
    if "run_state" in answer or last.is_error or "error" in answer:
        return Final(f"Done: {last.text[:300]}")
    claim = next(_json_in(r.text) for r in turn.tool_results if "claimed" in r.text)
    return [McpCall("complete", {"lease": claim["lease"]["lease_id"]})]


def review_flow(folder: Path, *, author: str, reviewer: str, same: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    document = {
        "schema_version": "striatum.workflow.v1",
        "id": "operators",
        "name": "Operators",
        "lanes": {
            "author": {"provider": PROVIDER[author]},
            "reviewer": {"provider": PROVIDER[reviewer]},
        },
        "jobs": [
            {
                "id": "draft",
                "kind": "task",
                "lane": "author",
                "artifacts": [{"path": "docs/striatum/draft.md"}],
            },
            {
                "id": "review",
                "kind": "review",
                "lane": "reviewer",
                "depends_on": ["draft"],
                "artifacts": [{"path": "docs/striatum/review.md", "kind": "findings"}],
                "review": {"target": "draft", **({"allow_same_provider": True} if same else {})},
            },
        ],
    }
    (folder / "workflow.json").write_text(json.dumps(document, indent=2))
    return folder / "workflow.json"


def trust(cli: clis.Cli, env: dict[str, str], repo: Path) -> None:
    """The one-time step `adopt` prints and never does itself (Claude needs none)."""
    if cli == "codex":
        with open(Path(env["CODEX_HOME"]) / "config.toml", "a") as config:
            config.write(f'\n[projects."{repo}"]\ntrust_level = "trusted"\n')
    elif cli == "gemini":
        folders = Path(env["GEMINI_CLI_HOME"]) / ".gemini" / "trustedFolders.json"
        folders.write_text(json.dumps({str(repo): "TRUST_FOLDER"}))


def headless(cli: clis.Cli, prompt: str) -> list[str]:
    """The headless operator command of docs/USING_STRIATUM.md."""
    if cli == "claude":
        return [
            "claude",
            "-p",
            prompt,
            "--permission-mode",
            "acceptEdits",
            "--output-format",
            "json",
        ]
    if cli == "codex":
        return ["codex", "exec", "--json", "--sandbox", "workspace-write", prompt]
    return ["gemini", "-p", prompt, "--approval-mode", "auto_edit", "--output-format", "json"]


def drive(
    operator: Operator, cli: clis.Cli, home: Path, port: int, run_id: str, job: str
) -> subprocess.CompletedProcess[str]:
    env = {
        **clis.cli_env(cli, home / cli, port),
        **{k: v for k, v in operator.daemon.env.items() if k.startswith("STRIATUM_")},
    }
    trust(cli, env, operator.repo)
    prompt = (
        f"Use the striatum MCP tools to do job `{job}` of run `{run_id}` as provider "
        f"`{PROVIDER[cli]}`: register a session, claim it, write its output, complete."
    )
    done = subprocess.run(
        headless(cli, prompt),
        cwd=operator.repo,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # What the CLI said, for the failure message of whoever reads this test's output.
    (home / f"{cli}-{job}.out").write_text(f"{done.stdout}\n--- stderr\n{done.stderr}")
    return done


def adopt(operator: Operator, *profiles: str) -> None:
    for profile in profiles:
        operator.cli("adopt", "--profile", profile)


def prepared(operator: Operator, workflow: Path) -> str:
    run_id: str = operator.cli("run", "prepare", "--workflow", str(workflow))["run_id"]
    operator.cli("run", "start", "--run-id", run_id, "--no-supervise")
    return run_id


@pytest.mark.parametrize(
    ("author", "reviewer"), [("claude", "codex"), ("codex", "gemini"), ("gemini", "claude")]
)
def test_two_operator_clis_drive_a_review_run_through_mcp(
    operator: Operator, tmp_path: Path, author: clis.Cli, reviewer: clis.Cli
) -> None:
    adopt(operator, PROVIDER[author], PROVIDER[reviewer])
    run_id = prepared(operator, review_flow(tmp_path / "flow", author=author, reviewer=reviewer))
    with ScriptedModel(operator_script) as model:
        first = drive(operator, author, tmp_path / "home", model.port, run_id, "draft")
        second = drive(operator, reviewer, tmp_path / "home", model.port, run_id, "review")
        assert model.errors == []
    final = operator.cli("status", "--run-id", run_id)
    assert final["run"]["state"] == "succeeded", (
        final,
        first.stdout[-2000:],
        second.stdout[-2000:],
    )
    (verdict,) = operator.cli("list", "verdicts", "--run-id", run_id)["verdicts"]
    assert verdict["reviewer_provider"] == PROVIDER[reviewer]
    assert verdict["author_provider"] == PROVIDER[author]
    assert verdict["cross_provider"] is True


def test_one_cli_does_both_jobs_where_the_gate_allows_the_same_provider(
    operator: Operator, tmp_path: Path
) -> None:
    adopt(operator, "gemini")
    run_id = prepared(
        operator, review_flow(tmp_path / "flow", author="gemini", reviewer="gemini", same=True)
    )
    with ScriptedModel(operator_script) as model:
        for job in ("draft", "review"):
            drive(operator, "gemini", tmp_path / "home", model.port, run_id, job)
    assert operator.cli("status", "--run-id", run_id)["run"]["state"] == "succeeded"
    (verdict,) = operator.cli("list", "verdicts", "--run-id", run_id)["verdicts"]
    assert verdict["reviewer_provider"] == verdict["author_provider"] == "gemini"
    assert verdict["cross_provider"] is False


def test_an_operator_cli_is_refused_the_review_of_its_own_draft(
    operator: Operator, tmp_path: Path
) -> None:
    """Operator-mode honesty: the lanes say codex reviews, but Claude did the draft and
    Claude is the session asking for the review."""
    adopt(operator, "claude_code")
    run_id = prepared(operator, review_flow(tmp_path / "flow", author="claude", reviewer="codex"))
    with ScriptedModel(operator_script) as model:
        drive(operator, "claude", tmp_path / "home", model.port, run_id, "draft")
        refused = drive(operator, "claude", tmp_path / "home", model.port, run_id, "review")
    jobs = {j["job_id"]: j["state"] for j in operator.cli("status", "--run-id", run_id)["jobs"]}
    assert jobs == {"draft": "succeeded", "review": "ready"}
    assert "claude_code" in refused.stdout and "allow_same_provider" in refused.stdout


def test_codex_waits_for_a_striatum_server_that_is_slow_to_start(
    operator: Operator, tmp_path: Path
) -> None:
    """Codex starts its first turn without waiting for an optional MCP server; on a loaded
    machine `striatum mcp serve` then answers too late and every call fails "unsupported
    call". The entry adopt writes is `required`, so Codex waits for the handshake."""
    adopt(operator, "codex")
    config = operator.repo / ".codex" / "config.toml"
    serve = tomllib.loads(config.read_text())["mcp_servers"]["striatum"]["command"]
    slow = tmp_path / "slow-striatum"
    slow.write_text(f'#!/bin/sh\nsleep 4\nexec "{serve}" "$@"\n')
    slow.chmod(0o755)
    config.write_text(config.read_text().replace(json.dumps(serve), json.dumps(str(slow))))

    def whoami(turn: Turn) -> Reply:
        if not turn.tool_results:
            return [McpCall("whoami", {})]
        return Final(f"Answer: {turn.tool_results[-1].text}")

    with ScriptedModel(whoami) as model:
        done = drive(operator, "codex", tmp_path / "home", model.port, "run_0", "draft")
        assert model.errors == []
    assert "unsupported call" not in done.stdout + done.stderr
    assert '\\"role\\"' in done.stdout, done.stdout[-2000:]

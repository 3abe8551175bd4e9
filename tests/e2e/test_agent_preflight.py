"""A missing agent CLI is caught before a run burns attempts: `run prepare` warns, `run start`
refuses with agent_unavailable (exit 18) and the install hint, `--no-supervise` is let through."""

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
    result = daemon.cli("--repo", str(repo), *args, env={"PATH": path})
    assert "Traceback" not in result.stderr
    return result


def workflow(folder: Path, provider: str, command: list[str] | None = None) -> Path:
    folder.mkdir(exist_ok=True)
    lane: dict[str, Any] = {"provider": provider, "timeout_s": 30, "max_attempts": 3}
    if command:
        lane["command"] = command
    (folder / "workflow.json").write_text(
        json.dumps(
            {
                "schema_version": "striatum.workflow.v1",
                "id": "stub",
                "name": "Stub",
                "lanes": {"author": lane},
                "jobs": [
                    {
                        "id": "draft",
                        "kind": "task",
                        "lane": "author",
                        "artifacts": [{"path": "docs/striatum/out.md"}],
                    }
                ],
            }
        )
    )
    return folder / "workflow.json"


def prepared(
    daemon: DaemonUnderTest, tmp_path: Path, provider: str, path: str
) -> tuple[Path, dict[str, Any]]:
    repo = new_repo(tmp_path)
    assert striatum(daemon, repo, path, "adopt").returncode == 0
    result = striatum(
        daemon,
        repo,
        path,
        "run",
        "prepare",
        "--json",
        "--workflow",
        str(workflow(tmp_path / "wf", provider)),
    )
    assert result.returncode == 0, result.stderr
    return repo, json.loads(result.stdout)


def state(daemon: DaemonUnderTest, repo: Path, run_id: str) -> str:
    found: str = daemon.json("--repo", str(repo), "status", "--run-id", run_id)["run"]["state"]
    return found


def test_prepare_warns_when_a_lanes_cli_is_missing(daemon: DaemonUnderTest, tmp_path: Path) -> None:
    empty = stub_clis(tmp_path / "bin")
    repo, result = prepared(daemon, tmp_path, "codex", path_with(empty))
    assert result["warnings"] == [
        {
            "path": "$.lanes.author",
            "severity": "warning",
            "message": "`codex` is not on PATH (fix: npm install -g @openai/codex)",
        }
    ]
    shown = striatum(
        daemon,
        repo,
        path_with(empty),
        "run",
        "prepare",
        "--workflow",
        str(tmp_path / "wf" / "workflow.json"),
    )
    assert shown.returncode == 0 and "`codex` is not on PATH" in shown.stdout


def test_prepare_is_quiet_when_the_cli_answers(daemon: DaemonUnderTest, tmp_path: Path) -> None:
    _, result = prepared(daemon, tmp_path, "codex", path_with(stub_clis(tmp_path / "bin", "codex")))
    assert result["warnings"] == []


def test_start_refuses_with_exit_18_and_the_hint_and_the_run_stays_prepared(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    path = path_with(stub_clis(tmp_path / "bin"))
    repo, result = prepared(daemon, tmp_path, "claude_code", path)
    started = striatum(daemon, repo, path, "run", "start", "--run-id", result["run_id"])
    assert started.returncode == 18, started.stderr
    assert "lane author: `claude` is not on PATH" in started.stderr
    assert "npm install -g @anthropic-ai/claude-code" in started.stderr
    assert state(daemon, repo, result["run_id"]) == "prepared"


def test_prepare_start_refused_leaves_the_run_prepared_and_says_how_to_go_on(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    path = path_with(stub_clis(tmp_path / "bin"))
    repo = new_repo(tmp_path)
    assert striatum(daemon, repo, path, "adopt").returncode == 0
    flow = str(workflow(tmp_path / "wf", "claude_code"))
    started = striatum(daemon, repo, path, "run", "prepare", "--workflow", flow, "--start")
    assert started.returncode == 18, started.stderr
    (run,) = daemon.json("--repo", str(repo), "list", "runs")["runs"]
    assert f"prepared {run['run_id']}; starting it" in started.stderr
    assert f"the run is prepared: striatum run start {run['run_id']}" in started.stderr
    assert state(daemon, repo, run["run_id"]) == "prepared"


def test_start_refuses_a_cli_that_does_not_start(daemon: DaemonUnderTest, tmp_path: Path) -> None:
    broken = tmp_path / "bin"
    broken.mkdir()
    (broken / "gemini").write_text("#!/bin/sh\necho 'SyntaxError: bad node' >&2\nexit 1\n")
    (broken / "gemini").chmod(0o755)
    repo, result = prepared(daemon, tmp_path, "gemini", path_with(broken))
    started = striatum(
        daemon, repo, path_with(broken), "run", "start", "--run-id", result["run_id"]
    )
    assert started.returncode == 18
    assert "`gemini --version` exited 1: SyntaxError: bad node" in started.stderr
    assert state(daemon, repo, result["run_id"]) == "prepared"


def test_start_without_supervising_is_not_refused(daemon: DaemonUnderTest, tmp_path: Path) -> None:
    path = path_with(stub_clis(tmp_path / "bin"))
    repo, result = prepared(daemon, tmp_path, "claude_code", path)
    started = striatum(
        daemon, repo, path, "run", "start", "--no-supervise", "--run-id", result["run_id"]
    )
    assert started.returncode == 0, started.stderr
    assert state(daemon, repo, result["run_id"]) == "running"
    daemon.json("--repo", str(repo), "run", "cancel", "--run-id", result["run_id"])


def test_a_command_lane_is_checked_against_the_workflow_folder(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    path = path_with(stub_clis(tmp_path / "bin"))
    repo = new_repo(tmp_path)
    assert striatum(daemon, repo, path, "adopt").returncode == 0
    document = workflow(tmp_path / "wf", "command", ["{workflow_dir}/agent.sh", "{output}"])
    result = json.loads(
        striatum(daemon, repo, path, "run", "prepare", "--json", "--workflow", str(document)).stdout
    )
    assert [w["message"] for w in result["warnings"]] == [
        f"`{tmp_path}/wf/agent.sh` does not exist (fix: install `agent.sh` or fix the "
        "lane's command)"
    ]
    started = striatum(daemon, repo, path, "run", "start", "--run-id", result["run_id"])
    assert started.returncode == 18 and state(daemon, repo, result["run_id"]) == "prepared"


def test_start_refuses_a_lane_whose_env_names_an_unset_variable(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    """The lane's `env` reaches the preflight through `status` (the run's snapshot): a
    `${VAR}` the caller has not exported would fail every job at launch."""
    path = path_with(stub_clis(tmp_path / "bin", "codex"))
    repo = new_repo(tmp_path)
    assert striatum(daemon, repo, path, "adopt").returncode == 0
    document = json.loads(workflow(tmp_path / "wf", "codex").read_text())
    document["lanes"]["author"]["env"] = {"OPENAI_API_KEY": "${PREFLIGHT_E2E_UNSET_KEY}"}
    (tmp_path / "wf" / "workflow.json").write_text(json.dumps(document))
    result = striatum(
        daemon,
        repo,
        path,
        "run",
        "prepare",
        "--json",
        "--workflow",
        str(tmp_path / "wf" / "workflow.json"),
    )
    run_id = json.loads(result.stdout)["run_id"]
    assert "refers to unset PREFLIGHT_E2E_UNSET_KEY" in json.dumps(
        json.loads(result.stdout)["warnings"]
    )
    started = striatum(daemon, repo, path, "run", "start", "--run-id", run_id)
    assert started.returncode == 18, started.stderr
    assert "the lane's env refers to unset PREFLIGHT_E2E_UNSET_KEY" in started.stderr
    assert state(daemon, repo, run_id) == "prepared"


def test_start_with_an_empty_run_id_is_the_daemons_refusal_not_an_internal_error(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    """Found by the MCP fuzzer: the preflight asked `status` for run '' (every run)."""
    repo = new_repo(tmp_path)
    started = striatum(
        daemon, repo, path_with(stub_clis(tmp_path / "bin")), "run", "start", "--run-id", ""
    )
    assert started.returncode not in (0, 1), started.stderr
    assert "internal error" not in started.stderr

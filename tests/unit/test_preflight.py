"""The preflight: a lane's program on PATH and answering `--version`, with stub programs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from striatum.lanes import preflight


def stub(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(exist_ok=True)
    program = folder / name
    program.write_text(f"#!/bin/sh\n{body}\n")
    program.chmod(0o755)
    return program


def test_a_missing_cli_is_not_on_path_and_names_its_install_hint(tmp_path: Path) -> None:
    [check] = preflight.check_lanes(
        {"author": {"provider": "claude_code"}},
        workflow_dir=None,
        repo=None,
        search_path=str(tmp_path),
    )
    assert not check.ok and check.program == "claude" and check.path is None
    assert check.problem == "`claude` is not on PATH"
    assert check.fix == "npm install -g @anthropic-ai/claude-code"


def test_a_cli_that_answers_version_is_ok_with_its_version(tmp_path: Path) -> None:
    stub(tmp_path / "bin", "codex", 'echo "codex-cli 9.9.9"; echo "noise" >&2')
    [check] = preflight.check_lanes(
        {"a": {"provider": "codex"}},
        workflow_dir=None,
        repo=None,
        search_path=str(tmp_path / "bin"),
    )
    assert check.ok and check.version == "codex-cli 9.9.9" and check.fix is None
    assert check.path == str(tmp_path / "bin" / "codex")


def test_a_cli_that_exits_non_zero_on_version_is_broken(tmp_path: Path) -> None:
    stub(tmp_path / "bin", "gemini", 'echo "Error: cannot find module" >&2; exit 3')
    [check] = preflight.check_lanes(
        {"a": {"provider": "gemini"}},
        workflow_dir=None,
        repo=None,
        search_path=str(tmp_path / "bin"),
    )
    assert not check.ok
    assert check.problem == "`gemini --version` exited 3: Error: cannot find module"
    assert check.fix == "npm install -g @google/gemini-cli"


def test_a_cli_that_hangs_times_out_and_its_group_is_killed(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    stub(tmp_path / "bin", "claude", f"/bin/sleep 60 & echo $! > {marker}; wait")
    started = time.monotonic()
    [check] = preflight.check_lanes(
        {"a": {"provider": "claude_code"}},
        workflow_dir=None,
        repo=None,
        search_path=str(tmp_path / "bin"),
        timeout_s=1,
    )
    assert time.monotonic() - started < 10
    assert not check.ok and check.problem == "`claude --version` did not answer within 1 s"
    child = int(marker.read_text())
    # SIGKILL to the group is delivered asynchronously: on a loaded machine the grandchild
    # may still be on a CPU for a moment after killpg returns (CI once saw it in state R).
    deadline = time.monotonic() + 10
    while not gone(child):
        assert time.monotonic() < deadline, f"pid {child} outlived its group's SIGKILL"
        time.sleep(0.02)


def gone(pid: int) -> bool:
    try:
        return "Z" in Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][:1]
    except FileNotFoundError:
        return True


def test_each_program_is_probed_once_per_call(tmp_path: Path) -> None:
    count = tmp_path / "count"
    stub(tmp_path / "bin", "claude", f'echo x >> {count}; echo "1.0"')
    checks = preflight.check_lanes(
        {"a": {"provider": "claude_code"}, "b": {"provider": "claude_code", "model": "opus"}},
        workflow_dir=None,
        repo=None,
        search_path=str(tmp_path / "bin"),
    )
    assert [c.ok for c in checks] == [True, True]
    assert count.read_text() == "x\n"


def test_a_command_lane_is_looked_up_not_run(tmp_path: Path) -> None:
    ran = tmp_path / "ran"
    stub(tmp_path / "bin", "my-agent", f"touch {ran}")
    lanes = {
        "ok": {"provider": "command", "command": ["my-agent", "{prompt_file}"]},
        "gone": {"provider": "command", "command": ["no-such-agent"]},
    }
    ok, gone = preflight.check_lanes(
        lanes, workflow_dir=None, repo=None, search_path=str(tmp_path / "bin")
    )
    assert ok.ok and ok.path == str(tmp_path / "bin" / "my-agent") and ok.version is None
    assert not ran.exists()
    assert not gone.ok and gone.problem == "`no-such-agent` is not on PATH"
    assert gone.fix == "install `no-such-agent` or fix the lane's command"


def test_a_command_lane_path_resolves_workflow_dir_and_the_repository(tmp_path: Path) -> None:
    stub(tmp_path / "wf", "agent.sh", "exit 0")
    (tmp_path / "repo" / "tools").mkdir(parents=True)
    (tmp_path / "repo" / "tools" / "plain.txt").write_text("not a program")
    lanes = {
        "filled": {"provider": "command", "command": ["{workflow_dir}/agent.sh"]},
        "relative": {"provider": "command", "command": ["tools/plain.txt"]},
        "missing": {"provider": "command", "command": ["./nope.sh"]},
        "at_launch": {"provider": "command", "command": ["{workdir}/run.sh"]},
    }
    filled, relative, missing, at_launch = preflight.check_lanes(
        lanes, workflow_dir=str(tmp_path / "wf"), repo=str(tmp_path / "repo"), search_path=""
    )
    assert filled.ok and filled.program == str(tmp_path / "wf" / "agent.sh")
    assert not relative.ok
    assert str(relative.problem).endswith("tools/plain.txt` is not executable")
    assert not missing.ok and missing.problem == f"`{tmp_path}/repo/./nope.sh` does not exist"
    assert at_launch.ok and at_launch.program is None  # known only at launch


def test_warnings_and_the_refusal_name_each_bad_lane_and_the_fix() -> None:
    bad = preflight.LaneCheck(
        lane="author",
        provider="codex",
        program="codex",
        path=None,
        version=None,
        ok=False,
        problem="`codex` is not on PATH",
        fix="npm install -g @openai/codex",
    )
    good = preflight.LaneCheck(
        lane="review",
        provider="command",
        program="sh",
        path="/bin/sh",
        version=None,
        ok=True,
        problem=None,
        fix=None,
    )
    assert preflight.warnings([bad, good]) == [
        {
            "path": "$.lanes.author",
            "severity": "warning",
            "message": "`codex` is not on PATH (fix: npm install -g @openai/codex)",
        }
    ]
    assert preflight.refusal([good]) is None
    error = preflight.refusal([bad, good])
    assert error is not None and error.exit_code == 18
    assert error.message == "cannot start the run's agents: lane author: `codex` is not on PATH"
    assert error.hint is not None and error.hint.startswith("npm install -g @openai/codex")


def test_a_lane_whose_env_sets_path_is_looked_up_there(tmp_path: Path) -> None:
    """The agent is launched with the lane's PATH, so that is where its CLI must be."""
    stub(tmp_path / "lane-bin", "gemini", 'echo "0.61.0"')
    lanes = {"a": {"provider": "gemini", "env": {"PATH": str(tmp_path / "lane-bin")}}}
    [check] = preflight.check_lanes(
        lanes, workflow_dir=None, repo=None, search_path=str(tmp_path / "empty")
    )
    assert check.ok and check.version == "0.61.0"


def test_an_unset_reference_in_the_lane_env_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PREFLIGHT_TEST_UNSET_KEY", raising=False)
    stub(tmp_path / "bin", "claude", 'echo "2.1.197"')
    lanes = {
        "a": {
            "provider": "claude_code",
            "env": {"ANTHROPIC_API_KEY": "${PREFLIGHT_TEST_UNSET_KEY}"},
        }
    }
    [check] = preflight.check_lanes(
        lanes, workflow_dir=None, repo=None, search_path=str(tmp_path / "bin")
    )
    assert not check.ok
    assert check.problem == "the lane's env refers to unset PREFLIGHT_TEST_UNSET_KEY"
    assert check.fix == "export them before starting the run"

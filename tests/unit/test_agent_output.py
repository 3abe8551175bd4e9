"""Each profile reads its CLI's recorded JSON output (tests/agents/fixtures, recorded from the
real Claude Code 2.1.197, Codex 0.169.0 and Gemini CLI 0.61.0 against the scripted model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from striatum.lanes import agent_output

FIXTURES = Path(__file__).parents[1] / "agents" / "fixtures"
PROVIDERS = {"claude": "claude_code", "codex": "codex", "gemini": "gemini"}


def read(name: str) -> agent_output.AgentOutput:
    cli = name.split("_", 1)[0]
    return agent_output.read(
        PROVIDERS[cli],
        (FIXTURES / f"{name}.stdout").read_text(),
        (FIXTURES / f"{name}.stderr").read_text(),
    )


@pytest.mark.parametrize(
    "name",
    [
        "claude_success",
        "codex_success",
        "gemini_success",
        "claude_nothing",
        "codex_nothing",
        "gemini_nothing",
    ],
)
def test_a_clean_run_reports_no_failure(name: str) -> None:
    """Writing nothing is not the CLI's error: the missing outputs fail it at `complete`."""
    assert read(name).failure is None


@pytest.mark.parametrize(
    ("name", "quoted"),
    [
        ("claude_down", "Unable to connect to API"),
        ("claude_error500", "API Error: 500"),
        ("claude_error429", "API Error"),
        ("claude_stream_error", "Claude Code reported an error"),
        ("codex_down", "Connection failed"),
        ("codex_error500", "Codex turn failed"),
        ("codex_error429", "Codex turn failed"),
        ("codex_stream_error", "stream disconnected"),
        ("gemini_down", "fetch failed"),
        ("gemini_error500", "scripted model failure"),
        ("gemini_error429", "Gemini CLI reported an error"),
    ],
)
def test_an_api_failure_is_quoted_from_the_cli_json(name: str, quoted: str) -> None:
    found = read(name)
    assert found.failure is not None and quoted in found.failure


def test_gemini_errors_come_from_the_end_of_stderr() -> None:
    """Gemini prints a stack trace, then its JSON error document, on stderr (stdout empty)."""
    assert (FIXTURES / "gemini_down.stdout").read_text().strip() == ""
    assert read("gemini_down").in_stderr


@pytest.mark.parametrize(
    ("name", "quoted"),
    [
        ("claude_refused", "refused permission for Bash"),
        ("gemini_refused", "run_shell_command failed or was refused"),
    ],
)
def test_a_refused_change_fails_although_the_cli_exited_0(name: str, quoted: str) -> None:
    found = read(name)
    assert found.failure is not None and quoted in found.failure


def test_a_failing_shell_command_of_codex_is_ordinary_work() -> None:
    """Codex reports a sandbox refusal like any failing command; only failed file changes
    count against the attempt."""
    assert read("codex_refused").failure is None
    failed = (
        '{"type":"item.completed","item":{"id":"i","type":"file_change","changes":'
        '[{"path":"/x/a.py","kind":"add"}],"status":"failed"}}\n'
        '{"type":"turn.completed","usage":{}}\n'
    )
    assert agent_output.read("codex", failed).failure == "Codex could not change /x/a.py"


@pytest.mark.parametrize(
    ("name", "model"),
    [("claude_success", "claude-sonnet-4-5"), ("gemini_success", "gemini-2.5-flash")],
)
def test_the_model_named_by_the_cli_is_read(name: str, model: str) -> None:
    assert read(name).model == model


def test_codex_names_its_thread_and_its_session_file_names_the_model() -> None:
    assert read("codex_success").session
    rollout = (
        '{"type":"session_meta","payload":{}}\n'
        '{"type":"turn_context","payload":{"model":"gpt-5.5","cwd":"/w"}}\n'
    )
    assert agent_output.codex_model(rollout) == "gpt-5.5"


def test_a_command_lane_has_no_reader() -> None:
    assert agent_output.read("command", '{"is_error": true}') == agent_output.AgentOutput()


def test_the_main_model_is_the_one_that_wrote_most() -> None:
    text = (
        '{"type":"result","subtype":"success","is_error":false,"modelUsage":{'
        '"claude-haiku":{"outputTokens":5},"claude-opus":{"outputTokens":500}}}'
    )
    assert agent_output.read("claude_code", text).model == "claude-opus"


@pytest.mark.parametrize("provider", sorted(PROVIDERS.values()))
def test_deep_or_huge_json_from_an_agent_is_read_as_no_output_not_a_crash(provider: str) -> None:
    """An agent's stdout is anything: JSON nested 100,000 deep or with a 5,000-digit number
    must not raise RecursionError or ValueError in the supervisor."""
    deep = "[" * 100_000 + "]" * 100_000
    for stdout in (deep, f'{{"a": {deep}}}', '{"n": ' + "9" * 5000 + "}", f"x\n{deep}\n"):
        output = agent_output.read(provider, stdout, f"error\n{deep}")
        assert isinstance(output, agent_output.AgentOutput)

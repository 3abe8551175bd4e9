"""Each profile reads its CLI's recorded JSON output (tests/agents/fixtures, recorded from the
real Claude Code 2.1.197, Codex 0.169.0 and Gemini CLI 0.61.0 against the scripted model)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from striatum.lanes import agent_output
from striatum.model.usage import Usage

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


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (  # usage.input_tokens 13590 + cache_creation 0; cache_read 0; output 75; $0.041895
            "claude_success",
            Usage(
                input_tokens=13590,
                cached_tokens=0,
                output_tokens=75,
                cost_usd=0.041895,
                cost_source="reported",
                model="claude-sonnet-4-5",
            ),
        ),
        (  # one turn.completed: input 13474 of which cached 0; output 116 (reasoning 0)
            "codex_success",
            Usage(input_tokens=13474, cached_tokens=0, output_tokens=116),
        ),
        (  # gemini-2.5-flash: prompt 12634, cached 0, candidates 71, thoughts 0, tool 0
            "gemini_success",
            Usage(input_tokens=12634, cached_tokens=0, output_tokens=71, model="gemini-2.5-flash"),
        ),
        ("codex_nothing", Usage(input_tokens=6737, cached_tokens=0, output_tokens=42)),
    ],
)
def test_the_usage_a_cli_reports_is_read_in_one_vocabulary(name: str, expected: Usage) -> None:
    """Costs are never estimated here: only Claude Code reports dollars."""
    assert read(name).usage == expected


def test_a_claude_error_that_cost_nothing_reports_zero_not_unknown() -> None:
    """The CLI said 0 tokens and $0 (the request was refused before any work): a known 0."""
    zero = Usage(input_tokens=0, cached_tokens=0, output_tokens=0, cost_usd=0.0)
    assert read("claude_error429").usage == replace(zero, cost_source="reported")


@pytest.mark.parametrize("name", ["codex_down", "codex_error429", "gemini_down", "gemini_error429"])
def test_a_failure_before_any_turn_reports_no_usage(name: str) -> None:
    assert read(name).usage is None


def test_claude_counts_a_cache_write_as_input_and_a_cache_read_as_cached() -> None:
    text = (
        '{"type":"result","subtype":"success","is_error":false,"total_cost_usd":0.5,'
        '"usage":{"input_tokens":10,"cache_creation_input_tokens":100,'
        '"cache_read_input_tokens":1000,"output_tokens":7}}'
    )
    found = agent_output.read("claude_code", text).usage
    assert found == Usage(
        input_tokens=110, cached_tokens=1000, output_tokens=7, cost_usd=0.5, cost_source="reported"
    )


def test_codex_usage_is_summed_over_turns_with_cached_input_taken_out() -> None:
    turn = (
        '{"type":"turn.completed","usage":{"input_tokens":%d,"cached_input_tokens":%d,'
        '"output_tokens":%d,"reasoning_output_tokens":5}}\n'
    )
    found = agent_output.read("codex", turn % (100, 60, 20) + turn % (50, 0, 10)).usage
    assert found == Usage(input_tokens=90, cached_tokens=60, output_tokens=30)


def test_gemini_usage_is_summed_over_models_with_thoughts_as_output() -> None:
    def model(prompt: int, cached: int, candidates: int, thoughts: int) -> dict[str, Any]:
        tokens = {"prompt": prompt, "cached": cached, "candidates": candidates}
        return {"tokens": {**tokens, "thoughts": thoughts, "tool": 0}}

    stats = {"models": {"gemini-2.5-pro": model(100, 40, 10, 30), "flash": model(5, 0, 1, 0)}}
    found = agent_output.read("gemini", json.dumps({"response": "", "stats": stats})).usage
    assert found == Usage(
        input_tokens=65, cached_tokens=40, output_tokens=41, model="gemini-2.5-pro"
    )


@pytest.mark.parametrize("name", ["claude_error429", "codex_error429", "gemini_error429"])
def test_a_429_is_a_rate_limit_and_still_a_failure(name: str) -> None:
    found = read(name)
    assert found.limit is not None and found.limit.kind == "rate" and found.failure is not None


@pytest.mark.parametrize(
    "name",
    [
        f"{cli}_{case}"
        for cli in ("claude", "codex", "gemini")
        for case in ("success", "nothing", "down", "error500", "stream_error", "refused")
    ],
)
def test_no_other_recorded_case_is_a_limit(name: str) -> None:
    assert read(name).limit is None


NOW = 1_765_000_000.0  # 2025-12-06 05:46:40 UTC


def claude_result(text: str, *, is_error: bool = True, status: int | None = None) -> str:
    return json.dumps(
        {
            "type": "result",
            "subtype": "success",
            "is_error": is_error,
            "api_error_status": status,
            "result": text,
        }
    )


def test_claude_usage_limit_with_an_epoch_reset() -> None:
    """The older shape, printed as a result without is_error."""
    text = claude_result("Claude AI usage limit reached|1765044000", is_error=False)
    found = agent_output.read("claude_code", text, now=NOW)
    assert found.failure is not None and found.limit is not None
    assert (found.limit.kind, found.limit.resets_at) == ("usage", 1765044000.0)


def test_claude_usage_limit_with_a_time_of_day_reset_is_placed_after_now() -> None:
    text = claude_result("5-hour limit reached ∙ resets 3pm (Europe/Paris)", status=429)
    found = agent_output.read("claude_code", text, now=NOW).limit
    assert found is not None and found.kind == "usage"
    assert found.resets_at == 1765029600.0  # 2025-12-06 15:00 in Paris (UTC+1)
    assert agent_output.read("claude_code", text).limit == replace(found, resets_at=None)


def test_a_claude_final_message_that_mentions_a_limit_is_not_one() -> None:
    text = claude_result(
        "Done: added a rate limit; usage limit reached tests pass.", is_error=False
    )
    assert agent_output.read("claude_code", text).limit is None


def test_codex_usage_limit_with_a_wait() -> None:
    said = (
        "You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) "
        "or try again in 1 day 2 hours 22 minutes."
    )
    events = [
        {"type": "thread.started", "thread_id": "t"},
        {"type": "error", "message": said},
        {"type": "turn.failed", "error": {"message": said}},
    ]
    found = agent_output.read("codex", "\n".join(map(json.dumps, events)))
    assert found.failure is not None and found.limit is not None
    assert (found.limit.kind, found.limit.retry_after_s) == ("usage", 94920.0)


def test_codex_rate_limit_with_seconds_and_a_later_turn_clears_it() -> None:
    said = "Rate limit reached for gpt-5 on tokens per min (TPM). Please try again in 1.5s."
    failed = json.dumps({"type": "error", "message": said})
    found = agent_output.read("codex", failed).limit
    assert found is not None and (found.kind, found.retry_after_s) == ("rate", 1.5)
    later = failed + '\n{"type":"turn.completed","usage":{}}'
    assert agent_output.read("codex", later).limit is None


@pytest.mark.parametrize(
    ("message", "code", "kind"),
    [
        ("Quota exceeded for quota metric 'Generate Content API requests per day'", 429, "usage"),
        ("[429 Too Many Requests] RESOURCE_EXHAUSTED. Please retry in 23.5s.", None, "rate"),
        ("You have exhausted your daily quota on this model.", 1, "usage"),
    ],
)
def test_gemini_quota_errors_on_stderr_are_limits(message: str, code: int, kind: str) -> None:
    document = {"session_id": "s", "error": {"type": "Error", "message": message, "code": code}}
    found = agent_output.read("gemini", "", "a stack trace\n" + json.dumps(document, indent=2))
    assert found.in_stderr and found.limit is not None and found.limit.kind == kind

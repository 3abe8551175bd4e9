"""lanes/usage_report: the supervisor's one call for what an attempt used: the CLI's report
or the agent's `$STRIATUM_USAGE` file, priced from the table when no cost was reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from striatum.lanes import agent_output
from striatum.lanes.usage_report import combine
from striatum.model import prices
from striatum.model.prices import Price, PriceTable
from striatum.model.usage import Usage

FIXTURES = Path(__file__).parents[1] / "agents" / "fixtures"
TABLE = prices.load()


def attempt_usage(
    provider: str,
    stdout: str,
    stderr: str,
    usage_file: Path | None,
    table: PriceTable,
    *,
    model: str | None = None,
) -> tuple[Usage | None, str | None]:
    """As the supervisor does it: the CLI's output read, then `combine`."""
    reported = agent_output.read(provider, stdout, stderr).usage
    return combine(reported, usage_file, table, model=model)


def recorded(name: str) -> tuple[str, str]:
    return (FIXTURES / f"{name}.stdout").read_text(), (FIXTURES / f"{name}.stderr").read_text()


def test_a_reported_cost_is_kept() -> None:
    found, problem = attempt_usage("claude_code", *recorded("claude_success"), None, TABLE)
    assert problem is None and found is not None
    assert (found.cost_usd, found.cost_source) == (0.041895, "reported")


def test_gemini_is_priced_from_the_table() -> None:
    found, _ = attempt_usage("gemini", *recorded("gemini_success"), None, TABLE)
    assert found is not None and found.cost_source == "estimated"
    assert found.cost_usd == round((12634 * 0.3 + 71 * 2.5) / 1e6, 6)


def test_codex_is_priced_by_the_model_its_session_file_named() -> None:
    stdout, stderr = recorded("codex_success")
    unnamed, _ = attempt_usage("codex", stdout, stderr, None, TABLE)
    assert unnamed is not None and unnamed.cost_usd is None
    named, _ = attempt_usage("codex", stdout, stderr, None, TABLE, model="gpt-5-codex")
    assert named is not None and named.model == "gpt-5-codex"
    assert named.cost_usd == round((13474 * 1.25 + 116 * 10) / 1e6, 6)


def test_a_command_lane_reports_through_its_usage_file(tmp_path: Path) -> None:
    written = tmp_path / "usage.json"
    written.write_text(json.dumps({"input_tokens": 1000, "output_tokens": 10, "model": "mine"}))
    table = PriceTable(models={"mine": Price(input=1.0, cached_input=0.0, output=100.0)})
    found, problem = attempt_usage("command", "", "", written, table)
    assert problem is None
    assert found == Usage(
        input_tokens=1000, output_tokens=10, model="mine", cost_usd=0.002, cost_source="estimated"
    )


def test_a_missing_usage_file_is_nothing_reported(tmp_path: Path) -> None:
    assert attempt_usage("command", "", "", tmp_path / "none.json", TABLE) == (None, None)
    assert attempt_usage("command", "", "", None, TABLE) == (None, None)


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ('{"input_tokens": -3}', "input_tokens"),
        ('{"tokens": 3}', "tokens"),
        ("not json", "not JSON"),
        ("[" * 60_000, "not JSON"),
        (" " * 70_000, "over"),
    ],
)
def test_a_malformed_usage_file_is_nothing_reported_and_a_problem(
    tmp_path: Path, content: str, said: str
) -> None:
    written = tmp_path / "usage.json"
    written.write_text(content)
    found, problem = attempt_usage("command", "", "", written, TABLE)
    assert found is None and problem is not None and said in problem

"""model/prices: list prices estimate a cost only where none was reported, by the model's own
entry or its longest family prefix; an override file replaces entries, and a malformed one
names the file and the entry."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from striatum.model import prices
from striatum.model.prices import Price, PriceError, PriceTable
from striatum.model.usage import Usage

ONE = Price(input=1.0, cached_input=0.1, output=10.0)
TABLE = PriceTable(
    models={"m-1": ONE},
    families={"fam": Price(input=2.0, cached_input=0.2, output=20.0), "fam-x": ONE},
)
SPENT = Usage(input_tokens=1_000_000, cached_tokens=1_000_000, output_tokens=100_000)


def test_an_exact_model_name_is_priced_by_its_entry() -> None:
    estimated = TABLE.estimate(replace(SPENT, model="m-1"))
    assert (estimated.cost_usd, estimated.cost_source) == (2.1, "estimated")


@pytest.mark.parametrize(("model", "cost"), [("fam-2025", 4.2), ("fam-x-2", 2.1)])
def test_a_family_is_priced_by_the_longest_prefix_of_the_name(model: str, cost: float) -> None:
    assert TABLE.estimate(replace(SPENT, model=model)).cost_usd == cost


@pytest.mark.parametrize(
    "unchanged",
    [
        Usage(input_tokens=5, output_tokens=5, model="unknown-model"),
        Usage(input_tokens=5, output_tokens=5),
        Usage(input_tokens=5, output_tokens=5, model="m-1", cost_usd=0.0, cost_source="reported"),
        Usage(input_tokens=5, model="m-1"),
        Usage(model="m-1"),
    ],
)
def test_no_estimate_without_tokens_a_known_model_or_with_a_reported_cost(
    unchanged: Usage,
) -> None:
    assert TABLE.estimate(unchanged) is unchanged


def test_the_shipped_table_names_its_sources_and_date_and_prices_sonnet() -> None:
    table = prices.load()
    assert table.as_of and all(url.startswith("https://") for url in table.source)
    sonnet = table.price_of("claude-sonnet-4-5-20250929")
    assert sonnet == Price(input=3.0, cached_input=0.3, output=15.0)
    for model in ("claude-haiku-4-5", "gpt-5", "gpt-5-codex", "gpt-5-mini", "o4-mini"):
        assert table.price_of(model) is not None, model
    for model in ("gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite"):
        assert table.price_of(model) is not None, model
    assert table.price_of("gemini-2.5-flash-lite-preview") == table.models["gemini-2.5-flash-lite"]


def test_an_override_replaces_the_shipped_entries_model_by_model(tmp_path: Path) -> None:
    override = tmp_path / "prices.json"
    cheap = {"input": 0.0, "cached_input": 0.0, "output": 1.0}
    override.write_text(json.dumps({"models": {"gpt-5": cheap, "my-local": cheap}}))
    table = prices.load(override)
    assert table.models["gpt-5"] == Price(input=0.0, cached_input=0.0, output=1.0)
    assert table.price_of("my-local") is not None
    assert table.models["gpt-5-mini"] == prices.load().models["gpt-5-mini"]


@pytest.mark.parametrize(
    ("document", "entry"),
    [
        ({"models": {"gpt-5": {"input": 1}}}, "models.gpt-5"),
        ({"models": {"gpt-5": {"input": 1, "cached_input": 1, "output": "2"}}}, "gpt-5.output"),
        ({"families": {"x": {"input": -1, "cached_input": 0, "output": 0}}}, "x.input"),
        ({"models": []}, "models"),
        ({"source": 3}, "source"),
        ([], "JSON object"),
    ],
)
def test_a_malformed_override_names_the_file_and_the_entry(
    tmp_path: Path, document: Any, entry: str
) -> None:
    override = tmp_path / "mine.json"
    override.write_text(json.dumps(document))
    with pytest.raises(PriceError) as raised:
        prices.load(override)
    assert str(override) in str(raised.value) and entry in str(raised.value)


def test_an_unreadable_override_names_the_file(tmp_path: Path) -> None:
    override = tmp_path / "mine.json"
    override.write_text("{not json")
    with pytest.raises(PriceError, match=r"mine\.json"):
        prices.load(override)
    with pytest.raises(PriceError, match=r"missing\.json"):
        prices.load(tmp_path / "missing.json")

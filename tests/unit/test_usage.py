"""model/usage: one vocabulary for what an attempt used, validated with the field at fault
named, and totals where an unreported figure is unknown, never 0."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from striatum.model import usage
from striatum.model.usage import Usage, UsageError


def test_a_full_payload_round_trips() -> None:
    payload = {
        "input_tokens": 10,
        "cached_tokens": 2,
        "output_tokens": 3,
        "cost_usd": 0.5,
        "cost_source": "estimated",
        "model": "gpt-5",
    }
    assert usage.from_payload(payload).to_payload() == payload


def test_a_cost_without_a_source_was_reported_by_whoever_wrote_it() -> None:
    assert usage.from_payload({"cost_usd": 1}).cost_source == "reported"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ([], "usage"),
        ({"tokens": 3}, "usage.tokens"),
        ({"input_tokens": -1}, "usage.input_tokens"),
        ({"cached_tokens": 1.5}, "usage.cached_tokens"),
        ({"output_tokens": True}, "usage.output_tokens"),
        ({"output_tokens": 10**13}, "usage.output_tokens"),
        ({"cost_usd": "3"}, "usage.cost_usd"),
        ({"cost_usd": float("nan")}, "usage.cost_usd"),
        ({"cost_usd": 1, "cost_source": "guessed"}, "usage.cost_source"),
        ({"model": ""}, "usage.model"),
        ({"model": "a\nb"}, "usage.model"),
    ],
)
def test_a_bad_payload_names_the_field_at_fault(payload: Any, field: str) -> None:
    with pytest.raises(UsageError) as raised:
        usage.from_payload(payload)
    assert raised.value.field == field and field.rsplit(".", 1)[-1] in str(raised.value)


def test_the_place_of_the_payload_prefixes_the_field() -> None:
    with pytest.raises(UsageError) as raised:
        usage.from_payload({"input_tokens": -1}, where="/tmp/usage.json")
    assert raised.value.field == "/tmp/usage.json.input_tokens"


def test_plus_keeps_a_figure_only_one_side_knows_and_adds_the_rest() -> None:
    left = Usage(input_tokens=5, cost_usd=1.0, cost_source="reported", model="a")
    right = Usage(input_tokens=1, output_tokens=2, model="b")
    both = left.plus(right)
    assert (both.input_tokens, both.cached_tokens, both.output_tokens) == (6, None, 2)
    assert (both.cost_usd, both.cost_source, both.model) == (1.0, "reported", "b")


def test_a_sum_with_one_estimated_cost_is_estimated() -> None:
    reported = Usage(cost_usd=1.0, cost_source="reported")
    estimated = Usage(cost_usd=2.0, cost_source="estimated")
    assert reported.plus(estimated).cost_source == "estimated"
    assert reported.plus(reported).cost_source == "reported"


def test_the_source_of_a_side_without_a_cost_does_not_count() -> None:
    reported = Usage(cost_usd=1.0, cost_source="reported")
    assert reported.plus(Usage(input_tokens=1, cost_source="estimated")).cost_source == "reported"


def test_nothing_reported_is_unknown_not_zero() -> None:
    assert Usage().tokens is None and not Usage().known
    assert Usage(cost_usd=0.0, cost_source="reported").known
    assert Usage().plus(Usage()).to_payload() == {}


def test_a_total_counts_the_attempts_that_reported_nothing() -> None:
    totals = usage.total(
        [Usage(input_tokens=3, output_tokens=1), None, Usage(model="x"), Usage(output_tokens=2)]
    )
    assert (totals.attempts, totals.unreported) == (4, 2)
    assert totals.usage == Usage(input_tokens=3, output_tokens=3)
    assert totals.to_payload()["tokens"] == 6 and totals.usage.cost_usd is None


def test_a_total_of_nothing_is_unknown() -> None:
    totals = usage.total([])
    assert totals.usage.tokens is None and totals.to_payload()["tokens"] is None


counts = st.none() | st.integers(min_value=0, max_value=10**9)
reports = st.builds(Usage, input_tokens=counts, cached_tokens=counts, output_tokens=counts)


@given(st.lists(reports, max_size=6))
def test_a_total_of_tokens_is_the_sum_of_the_known_figures(reported: list[Usage]) -> None:
    known = [r.tokens for r in reported if r.tokens is not None]
    totals = usage.total(reported)
    assert totals.usage.tokens == (sum(known) if known else None)
    assert totals.unreported == len(reported) - len(known)


@given(reports, reports)
def test_plus_is_commutative_in_its_counts(left: Usage, right: Usage) -> None:
    assert left.plus(right).to_payload() == right.plus(left).to_payload()

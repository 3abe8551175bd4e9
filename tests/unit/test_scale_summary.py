"""bench.scale's arithmetic: growth between sizes and the goals of issue 18 with `met`."""

from __future__ import annotations

import math
from typing import Any

import pytest

from bench import scale_summary


def case(mode: str, shape: str, jobs: int, overhead_ms: float) -> dict[str, Any]:
    return {"mode": mode, "shape": shape, "jobs": jobs, "overhead_per_job_ms": overhead_ms}


def test_growth_is_the_ratio_and_exponent_from_the_smallest_size_to_the_largest() -> None:
    cases = [
        case("operator", "wide", 5000, 6.0),
        case("operator", "wide", 200, 5.0),
        case("operator", "wide", 1000, 9.0),  # in between: not part of the growth
        case("operator", "deep", 200, 4.0),
        case("operator", "deep", 5000, 4.0),
    ]
    wide, deep = scale_summary.growth(cases)
    assert (wide["shape"], wide["from_jobs"], wide["to_jobs"]) == ("wide", 200, 5000)
    assert wide["ratio"] == 1.2
    assert wide["exponent"] == pytest.approx(math.log(1.2) / math.log(25), abs=0.001)
    assert (deep["ratio"], deep["exponent"]) == (1.0, 0.0)


def test_one_size_has_no_growth() -> None:
    assert scale_summary.growth([case("supervised", "deep", 200, 30.0)]) == []


def test_each_goal_is_met_only_by_its_worst_figure() -> None:
    cases = [
        case("supervised", "wide", 200, 9.0),
        case("supervised", "wide", 5000, 10.5),
        case("operator", "wide", 200, 4.0),
        case("operator", "wide", 5000, 4.4),
    ]
    goals = scale_summary.goals(cases, scale_summary.growth(cases))
    assert goals["supervised_overhead_per_job_ms"] == {"goal": 10.0, "worst": 10.5, "met": False}
    assert goals["operator_overhead_per_job_ms"] == {"goal": 5.0, "worst": 4.4, "met": True}
    # 10.5 / 9.0 = 1.167: within 1.2x, yet an exponent of 0.048 over 25x; both stated apart.
    assert goals["flat_ratio"]["met"] is True
    assert goals["flat_exponent"]["worst"] == pytest.approx(0.048, abs=0.001)
    assert goals["flat_exponent"]["met"] is True


def test_a_goal_nothing_measured_is_neither_met_nor_missed() -> None:
    goals = scale_summary.goals([case("operator", "deep", 200, 3.0)], [])
    assert goals["supervised_overhead_per_job_ms"] == {"goal": 10.0, "worst": None, "met": None}
    assert goals["flat_ratio"]["met"] is None


def test_at_exactly_1_2x_over_25x_the_ratio_goal_is_met_and_the_exponent_goal_is_not() -> None:
    cases = [case("operator", "deep", 200, 5.0), case("operator", "deep", 5000, 6.0)]
    goals = scale_summary.goals(cases, scale_summary.growth(cases))
    assert goals["flat_ratio"]["met"] is True
    assert goals["flat_exponent"]["met"] is False  # log(1.2) / log(25) = 0.057 > 0.05

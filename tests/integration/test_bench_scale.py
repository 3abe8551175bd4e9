"""bench.scale works end to end at a tiny size: every case completes its run and reports its
per-job figures, the floor, growth and the goals (make bench runs it at 200 to 5,000 jobs)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bench import scale
from tests.support.daemons import DaemonUnderTest


@pytest.fixture
def pointed_at(daemon: DaemonUnderTest, monkeypatch: pytest.MonkeyPatch) -> DaemonUnderTest:
    """This process's environment (the bench's RPC calls, CLI runs and supervisor) pointed
    at the test's daemon."""
    for name in [n for n in os.environ if n.startswith("STRIATUM_")]:
        monkeypatch.delenv(name)
    for name, value in daemon.env.items():
        monkeypatch.setenv(name, value)
    return daemon


def assert_sane(case: dict[str, Any], floor_ms: float) -> None:
    assert (case["completed"], case["run_state"]) == (case["jobs"], "succeeded"), case
    assert case["overhead_per_job_ms"] > 0
    assert case["ratio_to_floor"] == pytest.approx(case["overhead_per_job_ms"] / floor_ms, 0.05)
    assert case["statements_per_job"] > case["transactions_per_job"] > 0
    assert case["server_commits_per_job"] > 0


def test_operator_cases_at_two_sizes_and_both_shapes(
    pointed_at: DaemonUnderTest, tmp_path: Path
) -> None:
    report = scale.measure(
        tmp_path, (10, 20), ("wide", "deep"), ("operator",), floor_samples=10, warmup_jobs=5
    )
    # The warm-up run is reported apart, not as a case (nor in growth or the goals).
    assert (report["warmup"]["jobs"], report["warmup"]["completed"]) == (5, 5)
    cases = report["cases"]
    assert [(c["shape"], c["jobs"]) for c in cases] == [
        ("wide", 10),
        ("wide", 20),
        ("deep", 10),
        ("deep", 20),
    ]
    for case in cases:
        assert_sane(case, report["floor"]["floor_ms"])
        # A completion per job, each claiming the next (`then_claim`): not a claim per job.
        assert 1 <= case["verbs_per_job"] < 2
        assert min(case["verb_mean_ms"].values()) > 0
    floor = report["floor"]
    assert floor["floor_ms"] > 0 and floor["spawn_true_ms"] > 0 and floor["commit_ms"] > 0
    assert [(g["shape"], g["from_jobs"], g["to_jobs"]) for g in report["growth"]] == [
        ("wide", 10, 20),
        ("deep", 10, 20),
    ]
    goals = report["goals"]
    assert goals["operator_overhead_per_job_ms"]["goal"] == 5.0
    assert isinstance(goals["operator_overhead_per_job_ms"]["met"], bool)
    assert goals["supervised_overhead_per_job_ms"]["met"] is None  # not measured here


def test_supervised_cases_run_instant_agents_to_the_end(
    pointed_at: DaemonUnderTest, tmp_path: Path
) -> None:
    report = scale.measure(
        tmp_path, (10,), ("wide", "deep"), ("supervised",), floor_samples=10, warmup_jobs=5
    )
    assert report["agent"]["spawn_ms"] > 0
    for case in report["cases"]:
        assert_sane(case, report["floor"]["floor_ms"])
        assert case["steady_s"] <= case["wall_s"]  # the supervisor's start-up is outside it
    assert isinstance(report["goals"]["supervised_overhead_per_job_ms"]["met"], bool)

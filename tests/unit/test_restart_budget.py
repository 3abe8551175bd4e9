"""How often and how soon the daemon restarts its embedded PostgreSQL (pure decisions)."""

from __future__ import annotations

import pytest

from striatum.daemon.cluster_watch import describe_exit
from striatum.daemon.restart_budget import RestartBudget


def test_the_delay_doubles_per_recent_attempt_up_to_its_cap_then_the_budget_is_spent() -> None:
    budget = RestartBudget(attempts=7, window_s=600)
    delays = []
    attempts: list[float] = []
    while (delay := budget.next_delay(attempts, now=100.0)) is not None:
        delays.append(delay)
        attempts.append(100.0)
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_attempts_older_than_the_window_are_forgotten() -> None:
    budget = RestartBudget(attempts=2, window_s=600)
    assert budget.next_delay([0.0, 10.0], now=500.0) is None
    assert budget.next_delay([0.0, 10.0], now=605.0) == 1.0  # the first one left the window
    assert budget.next_delay([0.0, 10.0], now=700.0) == 0.5


def test_no_restarts_at_all_when_the_budget_is_zero() -> None:
    assert RestartBudget(attempts=0).next_delay([], now=0.0) is None


def test_the_budget_comes_from_the_settings_and_bad_values_fall_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STRIATUM_PG_RESTARTS", "2")
    monkeypatch.setenv("STRIATUM_PG_RESTART_WINDOW_S", "60")
    budget = RestartBudget.from_settings()
    assert (budget.attempts, budget.window_s) == (2, 60.0)
    monkeypatch.setenv("STRIATUM_PG_RESTARTS", "many")
    monkeypatch.setenv("STRIATUM_PG_RESTART_WINDOW_S", "a while")
    budget = RestartBudget.from_settings()
    assert (budget.attempts, budget.window_s) == (5, 600.0)
    monkeypatch.setenv("STRIATUM_PG_RESTARTS", "-3")
    assert RestartBudget.from_settings().attempts == 0


def test_an_exit_is_described_in_words() -> None:
    assert describe_exit(-9) == "killed by signal 9 (SIGKILL)"
    assert describe_exit(1) == "exited with status 1"
    assert describe_exit(-99) == "killed by signal 99 (an unknown signal)"

"""Callers take turns for the daemon's worker threads: a flood waits behind itself."""

from __future__ import annotations

import threading
from functools import partial

import pytest

from striatum.daemon.fair_pool import FairPool


def test_a_late_caller_is_served_before_a_floods_backlog() -> None:
    pool = FairPool(1, name="test")
    gate = threading.Event()
    order: list[str] = []
    try:
        first = pool.submit("flood", gate.wait)  # holds the one worker
        flood = [pool.submit("flood", partial(order.append, f"flood-{n}")) for n in range(50)]
        late = pool.submit("late", lambda: order.append("late"))
        gate.set()
        late.result(timeout=10)
        for future in [first, *flood]:
            future.result(timeout=10)
    finally:
        pool.shutdown()
    assert order.index("late") <= 1, order  # at most one flood task went first
    assert [t for t in order if t != "late"] == [f"flood-{n}" for n in range(50)]  # in order


def test_errors_reach_the_caller_and_the_worker_lives_on() -> None:
    pool = FairPool(1, name="test")
    try:
        failed = pool.submit("a", lambda: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            failed.result(timeout=10)
        assert pool.submit("a", lambda: 42).result(timeout=10) == 42
    finally:
        pool.shutdown()


def test_shutdown_finishes_what_is_queued_and_refuses_more() -> None:
    pool = FairPool(2, name="test")
    done: list[int] = []
    futures = [pool.submit(str(n % 3), partial(done.append, n)) for n in range(30)]
    pool.shutdown()
    assert all(f.done() for f in futures) and sorted(done) == list(range(30))
    with pytest.raises(RuntimeError):
        pool.submit("a", lambda: None)

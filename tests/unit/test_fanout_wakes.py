"""The fan-out tells a waiter whether it was woken by an event or only by a reconnect (after
which the long poll looks again instead of answering with nothing)."""

from __future__ import annotations

from striatum.daemon.fanout import Fanout
from striatum.store.connection import Database

NOWHERE = Database(admin_conninfo="", runtime_conninfo="", runtime_set_role=None, label="none")


def test_a_reconnect_wakes_every_waiter_unsure() -> None:
    fanout = Fanout(NOWHERE)
    mine, other = fanout.subscribe("run-1"), fanout.subscribe(None)
    fanout._publish(None)
    assert mine.woken.is_set() and mine.unsure
    assert other.woken.is_set() and other.unsure


def test_an_event_makes_a_waiter_sure_whenever_it_comes() -> None:
    fanout = Fanout(NOWHERE)
    before, after = fanout.subscribe("run-1"), fanout.subscribe("run-1")
    fanout._publish({"run_id": "run-1"})
    fanout._publish(None)  # a reconnect after the event: the event still counts
    assert before.woken.is_set() and not before.unsure
    fanout.unsubscribe(before)
    after.woken.clear()
    after.unsure = False
    fanout._publish(None)
    fanout._publish({"run_id": "run-1"})
    assert after.woken.is_set() and not after.unsure


def test_an_event_of_another_run_wakes_nobody_else() -> None:
    fanout = Fanout(NOWHERE)
    mine = fanout.subscribe("run-1")
    fanout._publish({"run_id": "run-2"})
    assert not mine.woken.is_set() and not mine.unsure

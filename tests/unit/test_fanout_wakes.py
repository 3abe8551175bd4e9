"""The fan-out tells a waiter whether it was woken by an event or only by a reconnect (after
which the long poll looks again instead of answering with nothing), and tells its listener
whether anyone waits (it listens only then)."""

from __future__ import annotations

import threading

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


def test_nobody_waiting_means_no_demand_to_listen() -> None:
    fanout = Fanout(NOWHERE)
    assert not fanout.wait(0)


def test_a_waiter_makes_the_demand_until_it_leaves_and_the_grace_passes() -> None:
    fanout = Fanout(NOWHERE, idle_s=3600)
    waiter = fanout.subscribe(None)
    assert fanout.wait(0) and not fanout.gone()
    fanout.unsubscribe(waiter)
    # Within the grace: a view polling in a loop keeps the connection listening.
    assert not fanout.gone() and fanout.wait(0)


def test_once_the_grace_passed_the_listener_stops_until_the_next_waiter() -> None:
    fanout = Fanout(NOWHERE, idle_s=0)
    fanout.unsubscribe(fanout.subscribe("run-1"))
    assert fanout.gone()
    assert not fanout.wait(0)
    fanout.subscribe("run-1")
    assert fanout.wait(0) and not fanout.gone()


def test_a_waiter_still_there_keeps_the_demand_whatever_the_grace() -> None:
    fanout = Fanout(NOWHERE, idle_s=0)
    first, second = fanout.subscribe(None), fanout.subscribe(None)
    fanout.unsubscribe(first)
    assert not fanout.gone() and fanout.wait(0)
    fanout.unsubscribe(second)
    assert fanout.gone()


class _SubscribeOnClear(threading.Event):
    """A waiter that subscribes just after the listener's `gone` cleared the demand."""

    def __init__(self, fanout: Fanout) -> None:
        super().__init__()
        self.fanout: Fanout | None = fanout

    def clear(self) -> None:
        super().clear()
        if self.fanout is not None:
            fanout, self.fanout = self.fanout, None
            fanout.subscribe(None)


class _ListenerAsksOnSet(threading.Event):
    """The listener's `gone`, asked just as a subscriber raises the demand."""

    def __init__(self, fanout: Fanout) -> None:
        super().__init__()
        self.fanout: Fanout | None = fanout
        self.answers: list[bool] = []

    def set(self) -> None:
        super().set()
        if self.fanout is not None:
            fanout, self.fanout = self.fanout, None
            self.answers.append(fanout.gone())


def test_a_waiter_that_comes_as_the_listener_gives_up_keeps_it_listening() -> None:
    fanout = Fanout(NOWHERE, idle_s=0)
    fanout._wanted = _SubscribeOnClear(fanout)
    assert not fanout.gone()
    assert fanout.wait(0)


def test_a_waiter_is_counted_before_it_raises_the_demand() -> None:
    fanout = Fanout(NOWHERE, idle_s=0)
    asked = _ListenerAsksOnSet(fanout)
    fanout._wanted = asked
    fanout.subscribe("run-1")
    assert asked.answers == [False]  # the listener saw the waiter: it stays listening
    assert fanout.wait(0)

"""`rpc.call(..., keep=True)`: a long-lived caller's connection, one per thread, kept between
requests, never written to once it sat idle for half the daemon's idle deadline, and made
again after it broke."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest

from striatum import errors
from striatum.client import rpc
from tests.support.daemons import DaemonUnderTest


@pytest.fixture
def pointed_at(daemon: DaemonUnderTest, monkeypatch: pytest.MonkeyPatch) -> DaemonUnderTest:
    for name in [n for n in os.environ if n.startswith("STRIATUM_")]:
        monkeypatch.delenv(name)
    for name, value in daemon.env.items():
        monkeypatch.setenv(name, value)
    return daemon


def _kept() -> socket.socket:
    sock = rpc._KEPT.conn.sock
    assert sock is not None
    return sock  # type: ignore[no-any-return]


def test_requests_share_one_kept_connection_per_thread(pointed_at: DaemonUnderTest) -> None:
    assert rpc.call("whoami", {}, keep=True)["role"] == "operator"
    first = _kept()
    rpc.call("whoami", {}, keep=True)
    assert _kept() is first
    other: list[socket.socket] = []

    def from_another_thread() -> None:
        rpc.call("whoami", {}, keep=True)
        other.append(_kept())

    thread = threading.Thread(target=from_another_thread)
    thread.start()
    thread.join()
    assert other and other[0] is not first


def test_an_idle_connection_is_made_again_before_it_is_written_to(
    pointed_at: DaemonUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    rpc.call("whoami", {}, keep=True)
    first = _kept()
    monkeypatch.setenv("STRIATUM_FRAME_DEADLINE_S", "0.2")  # kept at most 0.1 s idle
    time.sleep(0.3)
    rpc.call("whoami", {}, keep=True)
    assert _kept() is not first and first.fileno() == -1  # the old one was closed


def test_a_broken_connection_fails_that_call_and_the_next_makes_a_new_one(
    pointed_at: DaemonUnderTest,
) -> None:
    rpc.call("whoami", {}, keep=True)
    _kept().shutdown(socket.SHUT_RDWR)  # as if the daemon had gone
    with pytest.raises(errors.DaemonUnreachable):
        rpc.call("whoami", {}, keep=True)
    assert rpc._KEPT.conn.sock is None
    assert rpc.call("whoami", {}, keep=True)["role"] == "operator"

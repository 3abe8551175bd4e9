"""Keeps the embedded PostgreSQL up: the daemon's own child, started again when it dies.

A thread waits for the postmaster to exit. When it exits while the daemon is not stopping
(`kill -9`, a crash, the OOM killer), the thread reaps it and starts the cluster again after
a backoff, within the budget of `daemon.restart_budget`. Meanwhile `refusal` tells the pool
to fail requests at once with `database_unavailable` (a client retries; the supervisor does
on its own) rather than after a wait for a connection that cannot come, and the pool drops
its dead connections; once the cluster is back, it opens fresh ones. When the budget is
spent the daemon is asked to stop (`stop_daemon`), and `raise_if_gave_up` then ends it with
exit status 9.

With an external database (no cluster of ours) nothing is watched and the state says so.

The thread that starts a postmaster is its parent as far as the kernel's parent-death signal
goes (embedded._die_with_parent): the watcher therefore lives as long as the daemon serves.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Literal, Protocol, TypedDict

from striatum import errors
from striatum.daemon.embedded import EmbeddedCluster
from striatum.daemon.restart_budget import RestartBudget

log = logging.getLogger("striatumd")
State = Literal["up", "restarting", "down"]
POLL_S = 1.0  # how often the waiting thread looks up to see whether the daemon is stopping


class Connections(Protocol):
    """The daemon's connections (`store.pool.Pool`)."""

    def drop(self) -> None: ...  # the database went down: let go of every connection
    def renew(self) -> None: ...  # it is back: open fresh ones


class DatabaseState(TypedDict):
    """What `daemon status` shows under `database_state`."""

    embedded: bool  # False: an external server, which the daemon does not run
    state: State
    restarts: int  # how many times the daemon started its cluster again
    last_restart_at: str | None
    last_exit: str | None  # how the cluster last went down, e.g. "killed by signal 9"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Health:
    """The watcher's state, replaced whole: other threads read the old or the new one."""

    embedded: bool
    state: State = "up"
    restarts: int = 0
    last_restart_at: str | None = None
    last_exit: str | None = None

    def as_wire(self) -> DatabaseState:
        return DatabaseState(
            embedded=self.embedded,
            state=self.state,
            restarts=self.restarts,
            last_restart_at=self.last_restart_at,
            last_exit=self.last_exit,
        )


class ClusterWatch:
    def __init__(self, cluster: EmbeddedCluster | None, budget: RestartBudget) -> None:
        self._cluster = cluster
        self._budget = budget
        self._connections: Connections | None = None
        self._stop_daemon: Callable[[], bool] = lambda: True
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="pg-watch", daemon=True)
        self._attempted_at: list[float] = []  # monotonic times of restart attempts
        self._health = Health(embedded=cluster is not None)
        self.gave_up: str | None = None  # why the daemon stops, once the budget is spent

    def start(self, *, connections: Connections, stop_daemon: Callable[[], bool]) -> None:
        """Watch; `stop_daemon` asks the daemon to stop, and says False while it cannot
        (it is asked again until it can or the daemon stops anyway)."""
        if self._cluster is None:
            return
        self._connections, self._stop_daemon = connections, stop_daemon
        self._thread.start()

    def close(self) -> None:
        """Stop watching (the daemon is stopping: the cluster's exit is expected now)."""
        self._closing.set()
        if self._thread.is_alive():
            self._thread.join()

    def state(self) -> DatabaseState:
        return self._health.as_wire()

    def refusal(self) -> errors.StriatumError | None:
        """Why requests cannot be served now (its details carry `database_state`, for the
        RPC and MCP doors), or None (the pool asks before each borrow)."""
        health = self._health
        if health.state == "up":
            return None
        why = health.last_exit or "stopped"
        if health.state == "restarting":  # message and hint each fit 80 columns
            return errors.DatabaseUnavailable(
                "the embedded PostgreSQL is restarting",
                hint=f"last exit: {why}; the daemon restarts it, retry in seconds",
                database_state=health.as_wire(),
            )
        return errors.DatabaseUnavailable(
            "the embedded PostgreSQL is down and the daemon is stopping",
            hint=f"last exit: {why}; see the daemon's log, then `striatum daemon start`",
            database_state=health.as_wire(),
        )

    def raise_if_gave_up(self) -> None:
        if self.gave_up is not None:
            raise errors.DatabaseUnavailable(self.gave_up)

    def _watch(self) -> None:
        # This thread must not end while the daemon serves: its end would stop the cluster.
        while not self._closing.is_set():
            try:
                if not self._watch_once():
                    return
            except Exception:  # a bug: keep watching, the log gets the traceback
                log.exception("watching the embedded PostgreSQL failed")
                self._closing.wait(POLL_S)

    def _watch_once(self) -> bool:
        """Wait a moment for the postmaster to exit; False once there is nothing to watch."""
        assert self._cluster is not None
        status = self._cluster.wait_exit(POLL_S)
        if status is None or self._closing.is_set():
            return True
        return self._recover(describe_exit(status))

    def _recover(self, how: str) -> bool:
        """Start the cluster again; False when we gave up or the daemon is stopping."""
        assert self._cluster is not None and self._connections is not None
        connections = self._connections
        log.error("the embedded PostgreSQL went down (%s); restarting it", how)
        self._health = dataclasses.replace(self._health, state="restarting", last_exit=how)
        self._tell_connections(connections.drop)
        failure = ""
        while True:
            delay = self._budget.next_delay(self._attempted_at, time.monotonic())
            if delay is None:
                self._give_up(how, failure)
                return False
            if self._closing.wait(delay):
                return False
            self._attempted_at.append(time.monotonic())
            try:
                leftovers = self._cluster.restart()
            except errors.StriatumError as error:
                failure = error.message
                log.warning("restarting the embedded PostgreSQL failed: %s", failure)
                continue
            except Exception as error:  # not ours (a driver or OS error): log the traceback
                failure = f"{type(error).__name__}: {error}"
                log.exception("restarting the embedded PostgreSQL failed")
                continue
            self._tell_connections(connections.renew)
            self._health = dataclasses.replace(
                self._health,
                state="up",
                restarts=self._health.restarts + 1,
                last_restart_at=dt.datetime.now(dt.UTC).isoformat(),
            )
            if leftovers:
                log.info("killed what the dead postmaster left running: pids %s", leftovers)
            log.info("the embedded PostgreSQL is up again")
            return True

    def _tell_connections(self, what: Callable[[], None]) -> None:
        try:
            what()
        except Exception:  # a bug: requests are still refused meanwhile; the log gets it
            log.exception("could not %s the database connections", what.__name__)

    def _give_up(self, how: str, failure: str) -> None:
        assert self._cluster is not None
        budget = self._budget
        last = f"; the last restart failed: {failure}" if failure else ""
        self.gave_up = (
            f"the embedded PostgreSQL went down ({how}) and stays down: "
            f"{budget.attempts} restart attempt(s) within {budget.window_s:.0f}s allowed, all "
            f"spent (STRIATUM_PG_RESTARTS){last}; see {self._cluster.log_file}"
        )
        log.error("%s; stopping the daemon", self.gave_up)
        self._health = dataclasses.replace(self._health, state="down")
        while not self._closing.is_set() and not self._stop_daemon():
            self._closing.wait(0.05)


def describe_exit(status: int) -> str:
    """A Popen return code in words: negative is the signal that killed the process."""
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = "an unknown signal"
        return f"killed by signal {-status} ({name})"
    return f"exited with status {status}"


def stop_this_daemon() -> bool:
    """Ask the daemon to stop as `striatum daemon stop` does, through its one shutdown path;
    False while that path does not listen yet (SIGTERM would end the process without it)."""
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        return False
    os.kill(os.getpid(), signal.SIGTERM)
    return True

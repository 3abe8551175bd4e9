"""Runs that come back: the daemon relaunches the supervisor of a supervised run whose own is
gone (killed, crashed, the machine rebooted), on this host only.

Each sweep reads the supervised running runs of this host (`run_supervisors.host`:
`STRIATUM_HOST`, else the name `socket.gethostname()` gives; a daemon of another host sharing
the database never touches them), asks whether each one's registered supervisor process is
still there (its pid and its identity: boot id and start time), and for each gone one, in one
transaction with the run locked, takes the run over (a compare-and-set on the row's generation:
of two resumers one wins) and appends `run.supervisor_resumed` naming this daemon and the gone
supervisor's pid. After commit it launches `striatum supervise --run-id RUN` detached, with the
environment `run start` kept (or, when none was kept, its own, as the event says), and reaps it
later. The relaunched supervisor holds the run's lock file like any other: a second one exits.
After MAX_STREAK resumes in a row whose supervisors each died at once, it stops (a crash loop:
a human reads the supervisor's log and runs `run start`). It also removes the kept environments
of runs that ended.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from striatum import errors
from striatum.engine import progress
from striatum.engine.context import Caller, Context, DaemonInfo
from striatum.lanes import liveness, supervisor_env, supervisor_launch
from striatum.model import roles
from striatum.model.engine.states import RunState
from striatum.model.engine.supervision import (
    MAX_STREAK,
    STABLE_S,
    Supervision,
    gone,
    resumable,
)
from striatum.store import connection as db
from striatum.store import runs, supervisors, tokens
from striatum.store.pool import Pool

log = logging.getLogger("striatumd")
CALLER = Caller(token_id="resume", role=roles.Role.OPERATOR)


@dataclass(frozen=True, kw_only=True)
class Relaunch:
    run_id: str
    repo: Path
    env: Mapping[str, str]
    gone_pid: int | None


class Resumer:
    """This host's relauncher of gone supervisors (one per daemon: it reaps what it started)."""

    def __init__(self, pool: Pool, daemon: DaemonInfo) -> None:
        self._pool = pool
        self._daemon = daemon
        self._launched: list[subprocess.Popen[bytes]] = []
        self._given_up: set[str] = set()

    def sweep(self) -> list[str]:
        """Resume what needs it now; the ids of the runs resumed."""
        self._launched = [p for p in self._launched if p.poll() is None]  # reap the ended
        resumed = []
        with self._pool.connection() as conn:
            watched, now = db.in_transaction(conn, self._watched)
            for seen in watched:
                identity = liveness.identity(seen.pid) if seen.pid else None
                if not gone(seen, identity_now=identity, now=now):
                    continue  # the common case: nothing is locked for a live supervisor
                if seen.streak >= MAX_STREAK:
                    self._give_up(seen)
                    continue
                relaunch = db.in_transaction(conn, functools.partial(self._take_over, seen=seen))
                if relaunch is not None and self._launch(relaunch):
                    resumed.append(relaunch.run_id)
            self._forget_ended(conn)
        return resumed

    def _watched(self, conn: db.Conn) -> tuple[list[Supervision], dt.datetime]:
        return supervisors.supervised_on_host(conn, self._daemon.host), tokens.now(conn)

    def _take_over(self, conn: db.Conn, *, seen: Supervision) -> Relaunch | None:
        """With the run locked: relaunch unless it stopped running, or its row changed since
        `seen` (a supervisor registered, `run start` or another resumer was first)."""
        run = runs.lock(conn, seen.run_id)
        wanted = resumable(seen, host=self._daemon.host, run_state=run.state.value, is_gone=True)
        if not wanted:
            return None
        claimed = supervisors.claim_relaunch(
            conn, seen.run_id, host=self._daemon.host, generation=seen.generation
        )
        if claimed is None:
            return None
        kept = supervisor_env.load(run.run_id)
        ctx = Context(conn=conn, caller=CALLER, daemon=self._daemon)
        progress.emit(
            ctx,
            run,
            "run.supervisor_resumed",
            by=f"the daemon on {self._daemon.host} (pid {self._daemon.pid})",
            how="daemon sweep",
            host=self._daemon.host,
            daemon_pid=self._daemon.pid,
            gone_pid=seen.pid,
            gone_state=seen.state,
            environment="kept by run start" if kept else "the daemon's own (none was kept)",
        )
        env = kept if kept is not None else _own_environment()
        return Relaunch(run_id=run.run_id, repo=Path(run.repo_path), env=env, gone_pid=seen.pid)

    def _give_up(self, seen: Supervision) -> None:
        if seen.run_id not in self._given_up:  # say it once, not every sweep
            self._given_up.add(seen.run_id)
            log.warning(
                "not resuming run %s: its last %d supervisors died within %.0fs each; "
                "see its supervisor log, then `striatum run start --run-id %s`",
                seen.run_id,
                seen.streak,
                STABLE_S,
                seen.run_id,
            )

    def _launch(self, relaunch: Relaunch) -> bool:
        try:
            process = supervisor_launch.launch(relaunch.run_id, relaunch.repo, relaunch.env)
        except OSError as error:  # the row says launching: the next sweep past the grace retries
            log.warning("could not resume run %s: %s", relaunch.run_id, error)
            return False
        self._launched.append(process)
        log.info(
            "resumed run %s: its supervisor (pid %s) was gone; new supervisor pid %d, log %s",
            relaunch.run_id,
            relaunch.gone_pid,
            process.pid,
            supervisor_launch.log_file(relaunch.repo, relaunch.run_id),
        )
        return True

    def _forget_ended(self, conn: db.Conn) -> None:
        """Remove the kept environments of runs that ended (or that this database lacks)."""
        for run_id in supervisor_env.kept_runs():
            try:
                state = db.in_transaction(conn, functools.partial(_run_state, run_id=run_id))
            except errors.NotFound:
                state = None
            if state not in (RunState.PREPARED, RunState.RUNNING, RunState.PAUSED):
                supervisor_env.remove(run_id)


def _run_state(conn: db.Conn, *, run_id: str) -> RunState:
    return runs.get(conn, run_id).state


def _own_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not supervisor_env.is_secret(k)}

"""The daemon in the foreground (`striatumd`, whose command line is `striatum.cli.striatumd`).

Start-up order: take the runtime lock (one daemon per runtime directory), bring up the
database (embedded cluster as our child, or the URL), apply migrations, open the pool, make
sure this host's operator/principal token files exist, then listen (and anchor chain heads as
they grow: `daemon.anchor_loop`). SIGTERM/SIGINT stop it in the reverse order, anchoring the
heads once more; the embedded cluster is stopped last.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import signal
import sys

from striatum import __version__, errors, paths
from striatum.daemon import cluster_watch, host_tokens, runtime, substrate
from striatum.daemon.anchor_loop import AnchorLoop
from striatum.daemon.dispatch import Dispatcher
from striatum.daemon.fanout import Fanout
from striatum.daemon.limits import Limits
from striatum.daemon.restart_budget import RestartBudget
from striatum.daemon.server import Server
from striatum.engine.context import DaemonInfo
from striatum.store import migrations, privileges
from striatum.store.connection import Conn, Database
from striatum.store.pool import Pool


def serve(database_url: str | None) -> None:
    """Run the daemon until SIGTERM or SIGINT."""
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s striatumd %(levelname)s %(message)s",
    )
    with runtime.daemon_lock(), substrate.owned(database_url, wait_s=120) as (database, cluster):
        report = migrations.migrate(database)
        limits = Limits.from_settings()
        watch = cluster_watch.ClusterWatch(cluster, RestartBudget.from_settings())
        pool = Pool(database, size=limits.database_connections, refusal=watch.refusal)
        pool.open()
        watch.start(connections=pool, stop_daemon=cluster_watch.stop_this_daemon)
        try:
            host = paths.host_name()
            with pool.connection() as conn:
                _check_runtime_login(conn, database)
                minted = host_tokens.ensure(conn, host)
            anchors = AnchorLoop(database)
            info = DaemonInfo(
                pid=_pid(),
                host=host,
                version=__version__,
                socket=str(paths.socket_path()),
                database=database.label,
                server_version=report.server_version,
                started_at=dt.datetime.now(dt.UTC),
                anchoring=anchors.anchorer.state,
                database_state=watch.state,
            )
            fanout = Fanout(database)
            server = Server(
                Dispatcher(pool, info), paths.socket_path(), limits=limits, fanout=fanout
            )
            runtime.write_pid()
            try:
                try:
                    asyncio.run(_serve(server, fanout, info, report.applied, minted, anchors))
                finally:
                    anchors.close()
            finally:
                runtime.remove_pid()
        finally:
            watch.close()
            pool.close()
        watch.raise_if_gave_up()  # exit 9, the pidfile and socket already removed


def _check_runtime_login(conn: Conn, database: Database) -> None:
    set_role = database.runtime_set_role is not None
    problem = privileges.runtime_login_problem(conn, set_role=set_role)
    if problem:
        raise errors.UsageError(problem, hint="see docs/SPEC.md §3 (a separate runtime login)")
    if set_role:  # works, but a session could RESET ROLE back to the admin
        _say(
            "striatumd: warning: runtime sessions log in as the URL's user and SET ROLE "
            "striatumd_runtime; set STRIATUM_RUNTIME_DATABASE_URL to give them their "
            "own login (docs/SPEC.md §3)",
        )


async def _serve(
    server: Server,
    fanout: Fanout,
    info: DaemonInfo,
    applied: list[str],
    minted: list[str],
    anchors: AnchorLoop,
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for wanted in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(wanted, stop.set)
    await server.start()
    fanout.start()
    sweeper = asyncio.create_task(_sweep_forever(server))
    housekeeping = asyncio.create_task(server.housekeep_forever())
    anchoring = asyncio.create_task(anchors.run_forever())
    notes = [f"migrations applied: {', '.join(applied)}"] if applied else []
    notes += [f"minted {role} token" for role in minted]
    suffix = f"; {'; '.join(notes)}" if notes else ""
    _say(
        f"striatumd: listening on {info.socket} (pid {info.pid}, {info.database}, "
        f"PostgreSQL {info.server_version}){suffix}; ready",
    )
    await stop.wait()
    _say("striatumd: shutting down")
    sweeper.cancel()
    housekeeping.cancel()
    anchoring.cancel()
    await server.stop()
    fanout.stop()
    await asyncio.to_thread(anchors.tick, force=True)  # the heads at shutdown


async def _sweep_forever(server: Server) -> None:
    """Expire silent leases every STRIATUM_SWEEP_INTERVAL_S seconds (default 5)."""
    interval = max(0.05, paths.number_setting("STRIATUM_SWEEP_INTERVAL_S", 5))
    log = logging.getLogger("striatumd")
    while True:
        await asyncio.sleep(interval)
        try:
            recovered = await server.run_sweep()
            if recovered:
                log.info("sweep recovered %d expired lease(s)", recovered)
        except Exception:  # the database may be down: try again next time
            log.warning("sweep failed", exc_info=True)


def _pid() -> int:
    return os.getpid()


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)

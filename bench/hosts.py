"""Hosts benchmark: requests per second with 1, 2 and 4 daemons on one PostgreSQL (issue 23).

Every request a daemon serves appends one row to the audit chain, in the request's
transaction. That chain is daemon-global: one head row, locked by each append until its
transaction commits. So daemons on many machines that share one database take turns at one
lock, and more daemons should not mean more requests past what that head allows. This
bench measures where the ceiling is, and whether the head is what sets it.

On one fresh embedded cluster (fsync on), for each count N of daemons: N daemons, each with its
own home, runtime directory and STRIATUM_HOST (bench-host-1..N), all on that database. K client
threads per daemon, one kept socket each, call `whoami` (authenticated, one audit row) for
--seconds. Reported for each N: requests/s in all and per daemon, audit rows/s counted in the
database, the ratio to the first count's throughput, how busy the machine's CPUs were, and how
many backends waited for a lock (a queue at the head shows there). Three floors are measured in
the same run from as many connections as there are clients: raw single-row INSERT+COMMIT into a
scratch table, and audit appends straight to the head with no daemon in the way; and the same
appends to one head per daemon (`own_heads`: what giving each daemon an audit chain of its own
would allow). Last, the audit chain is walked as `daemon doctor --fast` walks it: it must still
verify after the load.

One machine plays every host here: the daemons, the clients and the server share its cores.
Separate hosts share only the database, so they should do no worse.

Usage: python -m bench.hosts [--daemons 1,2,4] [--seconds 5] [--clients-per-daemon 4]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import chain
from bench.scratch import STRIATUM, instance, migrated_cluster
from striatum import errors, paths
from striatum.client import envelope
from striatum.integrity import chain_check
from striatum.model import chain as chain_model
from striatum.store import chains
from striatum.store import connection as db

VERB = "whoami"
SAMPLE_S = 0.05  # how often lock waiters are counted


@dataclass(frozen=True, kw_only=True)
class Host:
    """One started daemon: its name in the database, and how a client reaches it."""

    name: str
    socket: Path
    token: str


@dataclass(frozen=True, kw_only=True)
class Load:
    """What one client thread got done: requests answered, and those answered with an error."""

    host: str
    served: int
    refused: int


@contextlib.contextmanager
def pointed_at(base: Path, name: str, url: str) -> Iterator[None]:
    """This process's environment pointed at the daemon in `base`, named `name`, on `url`."""
    with instance(base / "home"):
        os.environ["STRIATUM_HOST"] = name
        os.environ["STRIATUM_DATABASE_URL"] = url
        yield


def start_host(base: Path, name: str, url: str) -> Host:
    base.mkdir(mode=0o755, parents=True)
    with pointed_at(base, name, url):
        subprocess.run([STRIATUM, "daemon", "start"], check=True, stdout=subprocess.DEVNULL)
        return Host(
            name=name,
            socket=paths.socket_path(),
            token=paths.token_file("operator").read_text().strip(),
        )


def stop_host(base: Path, name: str, url: str) -> None:
    """`daemon stop`; a SIGKILL when it fails; then a wait until the process is gone."""
    with pointed_at(base, name, url):
        pid_file = paths.pid_file()
        pid = int(pid_file.read_text()) if pid_file.exists() else None
        stopped = subprocess.run(
            [STRIATUM, "daemon", "stop"],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    if pid is None:
        return
    if stopped.returncode != 0 and ours(pid, base):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while ours(pid, base) and time.monotonic() < deadline:
        time.sleep(0.05)


def ours(pid: int, base: Path) -> bool:
    """Whether `pid` is still the daemon of `base` (not a stranger given its pid since)."""
    marker = f"STRIATUM_HOME={base / 'home'}".encode()
    try:
        return marker in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False


@contextlib.contextmanager
def started_hosts(root: Path, count: int, url: str) -> Iterator[list[Host]]:
    """`count` daemons on `url`, each stopped on the way out, whatever happened."""
    with contextlib.ExitStack() as stack:
        hosts = []
        for n in range(1, count + 1):
            base, name = root / f"{count}-daemons" / str(n), f"bench-host-{n}"
            stack.callback(stop_host, base, name, url)
            hosts.append(start_host(base, name, url))
        yield hosts


def drive(host: Host, seconds: float, ready: threading.Barrier) -> Load:
    """Call the verb on one kept connection for `seconds`, once every client is connected."""
    served = refused = 0
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(host.socket))
        reader = sock.makefile("rb")
        ready.wait()
        stop = time.monotonic() + seconds
        while time.monotonic() < stop:
            sock.sendall(envelope.request_frame(str(served + refused), VERB, {}, host.token))
            try:
                envelope.parse_response(reader.readline())
                served += 1
            except errors.StriatumError:
                refused += 1
    return Load(host=host.name, served=served, refused=refused)


def cpu_ticks() -> tuple[int, int]:
    """The machine's (busy, total) CPU ticks so far, from /proc/stat."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return sum(fields) - idle, sum(fields)


def audit_rows(conn: db.Conn) -> int:
    row = db.fetch_one(conn, "SELECT count(*) AS n FROM striatumd.audit_log", {})
    return int(row["n"]) if row else 0


def lock_waiters(conn: db.Conn) -> int:
    """Backends waiting for a lock now: requests queued at the audit head show here."""
    query = "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    row = db.fetch_one(conn, query, {})
    return int(row["n"]) if row else 0


@dataclass(frozen=True, kw_only=True)
class Window:
    """What the database and the machine did during one measurement."""

    seconds: float
    audit_rows: int
    cpu_busy: float
    lock_waiters: float  # mean of samples every SAMPLE_S


class Watch:
    """Watches one measurement from `start` to `stop`: audit rows appended (counted before
    the clients are let go), the machine's busy CPU share, and lock waiters, sampled."""

    def __init__(self, database: db.Database) -> None:
        self.conn = db.connect_admin(database, autocommit=True)
        self.rows = audit_rows(self.conn)
        self.samples: list[int] = []
        self.done = threading.Event()
        self.sampler = threading.Thread(target=self._sample, args=(database,), daemon=True)
        self.started, self.ticks = 0.0, (0, 0)

    def start(self) -> None:
        self.started, self.ticks = time.monotonic(), cpu_ticks()
        self.sampler.start()

    def stop(self) -> Window:
        seconds = time.monotonic() - self.started
        busy, total = (now - then for now, then in zip(cpu_ticks(), self.ticks, strict=True))
        self.done.set()
        self.sampler.join()
        with self.conn:
            appended = audit_rows(self.conn) - self.rows
        return Window(
            seconds=seconds,
            audit_rows=appended,
            cpu_busy=busy / total if total else 0.0,
            lock_waiters=sum(self.samples) / len(self.samples) if self.samples else 0.0,
        )

    def _sample(self, database: db.Database) -> None:
        with db.connect_admin(database, autocommit=True) as conn:
            while not self.done.wait(SAMPLE_S):
                self.samples.append(lock_waiters(conn))


def measure_hosts(
    database: db.Database, hosts: list[Host], clients: int, seconds: float
) -> dict[str, Any]:
    """Every host driven by `clients` threads at once; requests and audit rows per second."""
    ready = threading.Barrier(len(hosts) * clients + 1, timeout=60)
    with ThreadPoolExecutor(max_workers=len(hosts) * clients) as pool:
        futures = [pool.submit(drive, h, seconds, ready) for h in hosts for _ in range(clients)]
        watch = Watch(database)
        ready.wait()
        watch.start()
        try:
            loads = [future.result() for future in futures]
        finally:
            window = watch.stop()
    per_host = {h.name: sum(x.served for x in loads if x.host == h.name) for h in hosts}
    return {
        "requests_per_s": round(sum(per_host.values()) / window.seconds),
        "per_daemon_requests_per_s": {
            name: round(served / window.seconds) for name, served in per_host.items()
        },
        "refused": sum(load.refused for load in loads),
        "audit_rows_per_s": round(window.audit_rows / window.seconds),
        "machine_cpu_busy": round(window.cpu_busy, 2),
        "lock_waiters_mean": round(window.lock_waiters, 1),
    }


def floor_rate(
    database: db.Database, connections: int, seconds: float, op: Callable[[db.Conn, int], object]
) -> float:
    """`op` per second from `connections` runtime connections, each on a thread of its own."""
    opened: list[db.Conn] = []

    def make(index: int) -> Callable[[], None]:
        conn = db.connect_runtime(database, autocommit=True)
        opened.append(conn)

        def once() -> None:
            op(conn, index)

        return once

    try:
        return chain.rate(connections, seconds, make)
    finally:
        for conn in opened:
            conn.close()


def raw_insert(conn: db.Conn, index: int) -> None:
    conn.execute("INSERT INTO bench_hosts_raw (worker) VALUES (%s)", (index,))


def head_append(conn: db.Conn, index: int) -> None:
    """One audit row as a request's transaction appends it, with no request around it."""
    db.in_transaction(
        conn,
        lambda c: chains.append_audit(
            c,
            request_id=f"bench-{index}",
            method="bench.append",
            actor="bench",
            role="operator",
            ok=True,
            error_code=None,
            params={},
        ),
    )


def own_heads(count: int) -> Callable[[db.Conn, int], None]:
    """What a head per daemon would allow: the same appends, each connection to the head of
    one of `count` chains (an event chain of a repository of its own stands in for a
    daemon's own audit chain: the same head lock, seal and insert, in one statement)."""

    def append(conn: db.Conn, index: int) -> None:
        db.in_transaction(
            conn,
            lambda c: chains.append_event(
                c,
                repo_id=f"bench-head-{index % count}",
                type="bench.append",
                actor="bench",
                payload={},
            ),
        )

    return append


def make_raw_table(database: db.Database) -> None:
    with db.connect_admin(database, autocommit=True) as admin:
        for index in range(8):  # the repositories whose chains stand in for own heads
            admin.execute(
                "INSERT INTO striatumd.repositories (repo_id, path, name) VALUES (%s, %s, %s)",
                (f"bench-head-{index}", f"/bench/head-{index}", f"head-{index}"),
            )
        admin.execute("CREATE TABLE bench_hosts_raw (id bigserial PRIMARY KEY, worker int)")
        admin.execute(
            "GRANT INSERT ON bench_hosts_raw TO striatumd_runtime; "
            "GRANT USAGE ON SEQUENCE bench_hosts_raw_id_seq TO striatumd_runtime"
        )


def measure_count(
    database: db.Database, root: Path, count: int, clients: int, seconds: float
) -> dict[str, Any]:
    """One count of daemons, beside both floors from as many connections as it has clients."""
    connections = count * clients
    raw = floor_rate(database, connections, seconds, raw_insert)
    head = floor_rate(database, connections, seconds, head_append)
    own = floor_rate(database, connections, seconds, own_heads(count))
    with started_hosts(root, count, database.admin_conninfo) as hosts:
        figures = measure_hosts(database, hosts, clients, seconds)
    served = figures["requests_per_s"]
    return {
        "daemons": count,
        "clients": connections,
        **figures,
        "raw_insert_commit_per_s": round(raw),
        "audit_head_alone_per_s": round(head),
        # The same appends from the same connections, to one head per daemon: far above the
        # shared head's rate would mean that head caps the daemons; near it, that it does not.
        "one_head_per_daemon_per_s": round(own),
        "ratio_own_heads_to_shared_head": round(own / head, 3),
        "ratio_to_raw_insert": round(served / raw, 3),
        "ratio_to_audit_head_alone": round(served / head, 3),
    }


def verify_audit(database: db.Database) -> chain_model.ChainReport:
    """The fast check of the audit chain (hashes, links, params), as `daemon doctor --fast`
    walks it, once every daemon has stopped."""
    with db.connect_admin(database, autocommit=True) as conn:
        return chain_check.verify_chain(database, conn, chains.AUDIT_CHAIN, deep=False)


def measure(
    database: db.Database, root: Path, counts: list[int], clients: int, seconds: float
) -> dict[str, Any]:
    """Each count of daemons in turn on `database`, their homes under `root`."""
    make_raw_table(database)
    load_before = os.getloadavg()[0]
    runs = [measure_count(database, root, n, clients, seconds) for n in counts]
    for run in runs:
        run["ratio_to_first"] = round(run["requests_per_s"] / runs[0]["requests_per_s"], 3)
    audit = verify_audit(database)
    return {
        "benchmark": "hosts",
        "verb": VERB,
        "cpus": os.cpu_count(),
        "seconds": seconds,
        "clients_per_daemon": clients,
        "ratio_first_daemons": counts[0],
        "runs": runs,
        "audit_chain_ok": audit.ok,
        "audit_chain_rows": audit.rows,
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemons", default="1,2,4", help="daemon counts, in order")
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument("--clients-per-daemon", type=int, default=4)
    args = parser.parse_args()
    counts = [int(n) for n in args.daemons.split(",")]
    with migrated_cluster() as (database, base):
        report = measure(database, base / "hosts", counts, args.clients_per_daemon, args.seconds)
        report["server"] = "embedded PostgreSQL, fsync on"
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""The one resolver of Striatum's places on disk.

Every process (daemon, CLI, tests) asks this module, so no two of them ever disagree about
where the data, the runtime directory, the socket or the tokens live.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "striatum"
_MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes on Linux; keep a margin


def setting(name: str) -> str | None:
    """An environment variable of ours, or None when unset, empty, or a reference left
    unexpanded (`$NAME`, `${NAME}`): what an agent CLI passes its MCP server when the
    variable it was told to forward is not set in its own environment."""
    value = os.environ.get(name)
    if not value or value in (f"${name}", f"${{{name}}}"):
        return None
    return value


def number_setting(name: str, default: float) -> float:
    """A numeric setting; a bad value is logged and the default used, so a typo never stops
    the daemon."""
    try:
        return float(setting(name) or default)
    except ValueError:
        import logging

        logging.getLogger("striatumd").warning("%s is not a number; using %s", name, default)
        return default


def host_name() -> str:
    """This host's name in the shared database (events, audit rows, checkouts, supervisors):
    `STRIATUM_HOST`, else the machine's host name. Two daemons on one database must have
    different names; the setting lets two Striatum homes on one machine act as two hosts."""
    configured = setting("STRIATUM_HOST")
    if configured:
        return configured
    import socket

    return socket.gethostname()


def home() -> Path:
    """`STRIATUM_HOME`, else the platform's user data directory for Striatum."""
    configured = setting("STRIATUM_HOME")
    if configured:
        return Path(configured).expanduser().absolute()
    import platformdirs  # lazy: keeps `striatum --help` lean

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def runtime_dir() -> Path:
    """Where the socket, pidfile and token files live (the directory is kept 0700).

    In order: `STRIATUM_RUNTIME_DIR`; `<STRIATUM_HOME>/run` when STRIATUM_HOME is set (so a
    home is a self-contained instance); `/run/user/<uid>/striatum` when the system provides
    that directory; else `<home>/run`. Deliberately never read from `XDG_RUNTIME_DIR`: a client
    and the daemon started from different sessions may see different values of it.
    """
    configured = setting("STRIATUM_RUNTIME_DIR")
    if configured:
        return Path(configured).expanduser().absolute()
    if setting("STRIATUM_HOME"):
        return home() / "run"
    system = Path("/run/user") / str(os.getuid())
    if system.is_dir():
        return system / APP_NAME
    return home() / "run"


def socket_path() -> Path:
    """The daemon's Unix socket; in a private /tmp directory if the runtime path is too long.

    The daemon creates that directory 0700 and refuses one it does not own; clients refuse a
    socket owned by anyone but themselves or root (runtime.check_socket_owner).
    """
    preferred = runtime_dir() / "striatumd.sock"
    if len(str(preferred)) <= _MAX_SOCKET_PATH:
        return preferred
    import hashlib  # lazy: only a long path needs it, and every CLI call asks for the socket

    key = hashlib.sha256(str(preferred).encode()).hexdigest()[:16]
    return Path("/tmp") / f"striatumd-{os.getuid()}-{key}" / "striatumd.sock"


def pid_file() -> Path:
    return runtime_dir() / "striatumd.pid"


def lock_file() -> Path:
    """Held (flock) by the live daemon for its whole life: the test of "is one running"."""
    return runtime_dir() / "striatumd.lock"


def token_file(role: str) -> Path:
    """The 0600 file holding this host's token for `role` (operator or principal)."""
    return runtime_dir() / f"{role}.token"


def daemon_log() -> Path:
    return home() / "logs" / "striatumd.log"


def cluster_dir() -> Path:
    """Where the embedded PostgreSQL cluster lives when no database URL is configured."""
    return home() / "postgres"


def anchors_file() -> Path:
    """Chain heads recorded outside the database (append-only JSON lines), compared by
    `doctor`, written by the daemon as the chains grow."""
    return home() / "anchors.jsonl"


def legacy_anchors_file() -> Path:
    """Where Striatum before 0.16 kept its anchors (read once, never written)."""
    return home() / "anchors.json"


def worktree(repo_id: str, run_id: str) -> Path:
    """A run's git worktree: under the home, outside the checkout, because agent CLIs walk up
    from their working directory and would load the checkout's untracked settings files."""
    return home() / "worktrees" / repo_id / run_id


def supervisor_env_file(run_id: str) -> Path:
    """The environment a run's supervisor was launched with (0600, in a 0700 directory), for
    the daemon to resume the run with. Under the home, not the runtime directory: that one is
    often a tmpfs (/run/user/<uid>), emptied by the reboot the file must outlive."""
    return supervisors_dir() / f"{run_id}.env.json"


def supervisors_dir() -> Path:
    """Where the kept environments of supervised runs are (`supervisor_env_file`)."""
    return home() / "supervisors"


def database_url() -> str | None:
    """`STRIATUM_DATABASE_URL`, or None for the embedded default."""
    return setting("STRIATUM_DATABASE_URL")


def runtime_database_url() -> str | None:
    """A second URL for an external server, logging in as striatumd_runtime itself."""
    return setting("STRIATUM_RUNTIME_DATABASE_URL")
